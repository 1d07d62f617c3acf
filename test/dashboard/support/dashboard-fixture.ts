import { randomBytes } from 'node:crypto';
import { mongoDriver } from '../../../src/drivers/mongodb/index.ts';
import { postgresDriver } from '../../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../../src/drivers/sqlite/index.ts';
import { createRunner, type Driver, defineChangeUnit, type MongockConfig, silentLogger } from '../../../src/index.ts';
import { freshDatabase } from '../../support/mongodb-harness.ts';
import { createTestSchema } from '../../support/postgres-harness.ts';
import { POSTGRES_URL } from '../../support/servers.ts';
import { tempSqliteFile } from '../../support/sqlite-harness.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SQLite fixture's `serviceIdentifier`, which the executions timeline shows apart from the host. */
export const SERVICE_ID = 'orders-service';

/** The error the failing unit throws; it names a connection string, which must never reach a page. */
export const FAILURE_TEXT = 'the orders table has duplicate keys';

/**
 * Four units: two that execute (with measurable durations), one that fails, one never reached
 * (pending). A run with them ends CHANGE_FAILED with counts executed 2, failed 1, pending 1.
 */
export function unitsWithAFailure(secretUrl: string) {
  return [
    defineChangeUnit({ id: 'create-clients', order: '001', author: 'alice', systemVersion: '1.0', execute: () => pause(30), rollback: async () => {} }),
    defineChangeUnit({ id: 'index-clients', order: '002', author: 'bob', systemVersion: '1.1', execute: () => pause(60), rollback: async () => {} }),
    defineChangeUnit({
      id: 'dedupe-orders',
      order: '003',
      author: 'carol',
      systemVersion: '2.0',
      execute: async () => {
        throw new Error(`${FAILURE_TEXT} (while reading ${secretUrl})`);
      },
      rollback: async () => {},
    }),
    defineChangeUnit({ id: 'archive-orders', order: '004', author: 'carol', systemVersion: '2.0', execute: async () => {}, rollback: async () => {} }),
  ];
}

export interface DashboardDatabaseFixture {
  readonly label: string;
  readonly config: MongockConfig;
  /** A password that appears in the driver's connection string (PostgreSQL), else null. */
  readonly password: string | null;
  /** The connection string and schema a JSON config would take (PostgreSQL only). */
  readonly connectionString: string | null;
  readonly schema: string | null;
  teardown(): Promise<void>;
}

/** Runs the units once: two execute, one fails (the run throws CHANGE_FAILED), one stays pending. */
export async function runWithAFailure(config: MongockConfig): Promise<void> {
  const error = await createRunner(config)
    .execute()
    .then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
  if (error?.code !== 'CHANGE_FAILED') throw new Error(`Expected the run to fail with CHANGE_FAILED, got ${JSON.stringify(error)}`);
}

export async function sqliteFixture(): Promise<DashboardDatabaseFixture> {
  const { filename, cleanup } = tempSqliteFile();
  return {
    label: 'sqlite',
    config: { driver: sqliteDriver({ filename }), changeUnits: unitsWithAFailure('file:orders.db'), serviceIdentifier: SERVICE_ID, logger: silentLogger },
    password: null,
    connectionString: null,
    schema: null,
    teardown: async () => cleanup(),
  };
}

/** A schema of its own and a role of its own whose password is random: a response holding it is a leak. */
export async function postgresFixture(): Promise<DashboardDatabaseFixture> {
  const db = await createTestSchema('mongock_dash');
  const role = `dash_${randomBytes(4).toString('hex')}`;
  const password = `pw${randomBytes(12).toString('hex')}`;
  await db.admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await db.admin.query(`GRANT ALL ON SCHEMA "${db.schema}" TO ${role}`);
  const url = new URL(POSTGRES_URL);
  url.username = role;
  url.password = password;
  const connectionString = url.toString();
  const driver: Driver = postgresDriver({ connectionString, schema: db.schema });
  return {
    label: 'postgres',
    config: { driver, changeUnits: unitsWithAFailure(connectionString), logger: silentLogger },
    password,
    connectionString,
    schema: db.schema,
    async teardown() {
      await db.admin.query(`DROP SCHEMA IF EXISTS "${db.schema}" CASCADE`);
      // The dashboard's connections may still be closing.
      await db.admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
      await db.admin.query(`DROP ROLE IF EXISTS ${role}`);
      await db.admin.end();
    },
  };
}

/** FerretDB (MongoDB wire protocol), a fresh database. */
export async function ferretFixture(url: string): Promise<DashboardDatabaseFixture> {
  const fresh = await freshDatabase(url);
  return {
    label: 'ferretdb',
    config: {
      driver: mongoDriver({ uri: url, databaseName: fresh.name, clientOptions: { serverSelectionTimeoutMS: 5_000 } }),
      changeUnits: unitsWithAFailure(`${url}${fresh.name}`),
      logger: silentLogger,
    },
    password: null,
    connectionString: null,
    schema: null,
    teardown: () => fresh.drop(),
  };
}

/** Holds the lock as a running migration would, through the driver's real lock primitive. */
export async function holdLock(driver: Driver, owner = `test-holder-${randomBytes(3).toString('hex')}`): Promise<{ owner: string; release(): Promise<void> }> {
  const connection = await driver.connect({ migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger });
  const attempt = await connection.lock.tryAcquire({ owner, leaseMs: 120_000, hostname: 'test-host', onLost: () => {} });
  if (!attempt.acquired) {
    await connection.close();
    throw new Error('The test could not take the lock');
  }
  return {
    owner,
    async release() {
      await connection.lock.release(attempt.lease);
      await connection.close();
    },
  };
}
