import { randomBytes } from 'node:crypto';
import { type Db, MongoClient } from 'mongodb';
import { afterEach, beforeEach } from 'vitest';
import { type MongoChangeContext, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import type { DriverHarness } from '../../src/drivers/testkit/index.ts';
import { FERRETDB_URL } from './servers.ts';

/** The server the MongoDB suites run on: a real replica set when MONGODB_URI is set, FerretDB otherwise. */
export const MONGO_TEST_URL = process.env.MONGODB_URI ?? FERRETDB_URL;

/** A fresh database name per test: `mongock_test_<random>`. */
export function freshDatabaseName(): string {
  return `mongock_test_${randomBytes(6).toString('hex')}`;
}

/** A connected client to the test server, failing loudly (never skipping) when it does not answer. */
export async function testClient(url = FERRETDB_URL): Promise<MongoClient> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`The MongoDB test server at ${url} does not answer: start it with \`bash scripts/test-servers.sh up\` (${(error as Error).message})`);
  }
  return client;
}

/** A fresh database on a test server, dropped by `drop()`. */
export async function freshDatabase(url = FERRETDB_URL): Promise<{ client: MongoClient; db: Db; name: string; drop(): Promise<void> }> {
  const client = await testClient(url);
  const name = freshDatabaseName();
  const db = client.db(name);
  return {
    client,
    db,
    name,
    async drop() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** The fields of Java Mongock 5.5's ChangeEntry, in the order `MongoSync4ChangeEntryRepository#toEntity` writes them. */
export const JAVA_CHANGE_ENTRY_FIELDS = Object.freeze([
  'executionId',
  'changeId',
  'author',
  'timestamp',
  'state',
  'type',
  'changeLogClass',
  'changeSetMethod',
  'metadata',
  'executionMillis',
  'executionHostname',
  'errorTrace',
  'systemChange',
] as const);

/** A fresh database for each test of the calling suite (made in `beforeEach`, dropped in `afterEach`). */
export function freshDatabasePerTest(url = FERRETDB_URL): { readonly client: MongoClient; readonly db: Db; readonly name: string } {
  let current: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  beforeEach(async () => {
    current = await freshDatabase(url);
  });
  afterEach(async () => {
    await current?.drop();
    current = undefined;
  });
  const now = () => {
    if (current === undefined) throw new Error('freshDatabasePerTest: used outside a test');
    return current;
  };
  return {
    get client() {
      return now().client;
    },
    get db() {
      return now().db;
    },
    get name() {
      return now().name;
    },
  };
}

/**
 * The testkit's fixture on a MongoDB-wire server: a fresh database per test, markers as
 * documents `{ name }` in its `markers` collection, written through the unit's guarded `db`
 * (with its session when the unit is transactional), counted through a separate client.
 */
export function mongoHarness(url: string, label: string): DriverHarness<MongoChangeContext> {
  return {
    name: label,
    async setup() {
      const fresh = await freshDatabase(url);
      // Each driver() owns its client, as another process would.
      return {
        driver: () => mongoDriver({ uri: url, databaseName: fresh.name, clientOptions: { serverSelectionTimeoutMS: 5_000 } }),
        insertMarker: async ({ db, session }, name) => void (await db.collection('markers').insertOne({ name }, { session })),
        deleteMarkers: async ({ db, session }, name) => void (await db.collection('markers').deleteMany({ name }, { session })),
        countMarkers: (name) => fresh.db.collection('markers').countDocuments({ name }),
        teardown: () => fresh.drop(),
      };
    },
  };
}
