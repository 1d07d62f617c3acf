import Database from 'better-sqlite3';
import type { MongoClient } from 'mongodb';
import mysql from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MongoChangeContext, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { CARRY_AT_MOST } from '../../src/drivers/mongodb/mongodb-carried-entries.ts';
import { type MysqlChangeContext, mysqlDriver } from '../../src/drivers/mysql/index.ts';
import { type PostgresChangeContext, postgresDriver } from '../../src/drivers/postgres/index.ts';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { batched, type ChangeUnitDefinition, type Driver, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { countedMongoClient, countedPgClient, countMysqlQueries, countSqliteStatements, shortStatement } from '../support/count-statements.ts';
import { freshDatabaseName } from '../support/mongodb-harness.ts';
import { createTestDatabase, type MysqlTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { FERRETDB_URL, POSTGRES_URL } from '../support/servers.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';

// Round trips are part of the contract: each driver's statements (or commands) are counted
// through its client while the runner applies units and while it starts with nothing pending.
// Each unit sends exactly one statement of its own. A change that adds a round trip to the idle
// start-up, to a run, or to each unit fails here with the list of what was sent.

/** `count` no-op units with ids from `from`, each sending one statement of its own through `own`. */
function units<T>(from: number, count: number, own: (context: T) => Promise<unknown>): ChangeUnitDefinition<T>[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `u${String(from + i).padStart(3, '0')}`;
    return defineChangeUnit<T>({ id, order: id, author: 'rt', execute: async (context) => void (await own(context)), rollback: async () => {} });
  });
}

/** Runs the three phases on one database and returns what each sent. */
async function phases<T extends object>(driver: () => Driver<T>, own: (context: T) => Promise<unknown>, sent: string[]) {
  const execute = async (list: ChangeUnitDefinition<T>[]) => {
    sent.length = 0;
    const result = await new MongockBuilder()
      .setDriver(driver())
      .setLogger(silentLogger)
      .addChangeUnits(...(list as never[]))
      .buildRunner()
      .execute();
    return { result, sent: [...sent] };
  };
  const first = await execute(units(1, 10, own)); // empty database: creates the tables
  const more = await execute([...units(1, 10, own), ...units(11, 10, own)]); // tables exist: 10 more
  const idle = await execute([...units(1, 10, own), ...units(11, 10, own)]);
  expect(first.result.executed).toBe(10);
  expect(more.result.executed).toBe(10);
  expect(idle.result.status).toBe('up-to-date');
  return { first: first.sent, more: more.sent, idle: idle.sent };
}

/** Fixed cost and per-unit cost of a run of 10 units: the unit's own statements marked `OWN`. */
function perUnit(sent: readonly string[]): { own: number; total: number } {
  return { own: sent.filter((s) => s.startsWith('OWN')).length, total: sent.length };
}

describe('round trips: PostgreSQL (statements through the pg client)', () => {
  let db: PostgresTestSchema;
  let client: pg.Client;
  const sent: string[] = [];
  beforeAll(async () => {
    db = await createTestSchema('mongock_rt');
    // Whole: a query may carry several statements (the entries' INSERT with the COMMIT).
    client = await countedPgClient(POSTGRES_URL, (text) => sent.push(text.replace(/\s+/g, ' ').trim()));
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('idle: 2 statements; a run: 6 fixed; each unit: BEGIN, its own, and one query with its history INSERT and the COMMIT', async () => {
    const { first, more, idle } = await phases<PostgresChangeContext>(
      () => postgresDriver({ client: client as never, schema: db.schema }),
      ({ sql }) => sql.query('SELECT 1 AS own'),
      sent,
    );
    const label = (list: string[]) => list.map((s) => (s === 'SELECT 1 AS own' ? 'OWN' : s));
    expect(idle, idle.join('\n')).toHaveLength(2);
    const run = label(more);
    expect(perUnit(run).own).toBe(10);
    // 10 units × (BEGIN + own + the INSERT sent with the COMMIT) + 6 fixed: 4 statements, 3 round trips a unit.
    expect(run.length, run.join('\n')).toBe(10 * 3 + 6);
    expect(run.filter((s) => s === 'BEGIN')).toHaveLength(10);
    expect(run.filter((s) => isEntriesWithCommit(s, 1))).toHaveLength(10);
    expect(run.filter((s) => s.includes('pg_locks'))).toHaveLength(0);
    // The history is read once per run (the re-read under the lock is answered by the fence).
    expect(run.filter((s) => s.startsWith('SELECT l.fence AS lock_fence') || s.startsWith('SELECT * FROM'))).toHaveLength(1);
    // On an empty schema the tables are created too: 6 + 4 (2 catalogue checks under the lock,
    // 2 CREATE TABLE) - 1 (no history to read before the lock): 9 fixed.
    expect(first.length, first.join('\n')).toBe(10 * 3 + 9);
  });

  it("transactionStrategy 'execution': BEGIN, each unit's own statements, and one query with every entry's INSERT and the COMMIT", async () => {
    const other = await createTestSchema('mongock_rtx');
    try {
      const build = (list: ChangeUnitDefinition<PostgresChangeContext>[]) =>
        new MongockBuilder()
          .setDriver(postgresDriver({ client: client as never, schema: other.schema }))
          .setLogger(silentLogger)
          .setTransactionStrategy('execution')
          .addChangeUnits(...(list as never[]))
          .buildRunner();
      const own = ({ sql }: PostgresChangeContext) => sql.query('SELECT 1 AS own');
      await build(units(1, 10, own)).execute();
      sent.length = 0;
      const result = await build([...units(1, 10, own), ...units(11, 10, own)]).execute();
      expect(result.executed).toBe(10);
      const run = sent.map((s) => (s === 'SELECT 1 AS own' ? 'OWN' : s));
      // 10 own + BEGIN + one INSERT of 10 rows with the COMMIT + 6 fixed (knex: 2 per migration).
      expect(run.length, run.join('\n')).toBe(10 + 2 + 6);
      expect(run.filter((s) => isEntriesWithCommit(s, 10))).toHaveLength(1);
      const { rows } = await client.query(`SELECT change_id FROM ${other.schema}.mongock_change_log ORDER BY id`);
      expect(rows.map((row) => row.change_id)).toEqual(Array.from({ length: 20 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`));
    } finally {
      await other.drop();
    }
  });
});

/** One query: an INSERT of `rows` history rows, then COMMIT. */
function isEntriesWithCommit(query: string, rows: number): boolean {
  return /^INSERT INTO \S+\."mongock_change_log"/.test(query) && query.endsWith('; COMMIT') && query.split("'EXECUTED'").length - 1 === rows;
}

describe('round trips: MongoDB wire without transactions (FerretDB; command monitoring)', () => {
  let client: MongoClient;
  const name = freshDatabaseName();
  const sent: string[] = [];
  beforeAll(async () => {
    client = await countedMongoClient(FERRETDB_URL, (command) => sent.push(command));
  });
  afterAll(async () => {
    await client.db(name).dropDatabase();
    await client.close();
  });

  it('idle: hello and one find; each unit: its own command plus one write (the lock update that sets its marker and carries the previous entry)', async () => {
    const { more, idle } = await phases<MongoChangeContext>(
      () => mongoDriver({ client, databaseName: name }),
      ({ db }) => db.collection('own').insertOne({ at: 1 }),
      sent,
    );
    expect(idle, idle.join('\n')).toEqual(['hello', 'find mongockChangeLog']);
    const run = more.map((s) => (s === 'insert own' ? 'OWN' : s));
    expect(perUnit(run).own).toBe(10);
    // Each unit's entry rides in the next lock update; the carried entries go to the history in
    // one insert per CARRY_AT_MOST and before the release.
    const inserts = Math.ceil(10 / CARRY_AT_MOST);
    expect(inserts).toBeLessThan(10);
    expect(run.filter((s) => s === 'insert mongockChangeLog')).toHaveLength(inserts);
    expect(run.filter((s) => s === 'update mongockLock')).toHaveLength(10 + 2); // a marker per unit; clear (with the last entry) and release at the end
    // The checksums' companion (Java parity) is inserted once per run (one unordered insert: an
    // upsert per document is a collection scan each on FerretDB), before the release.
    expect(run.filter((s) => s === 'insert mongockChangeLog.checksums')).toHaveLength(1);
    expect(run.indexOf('insert mongockChangeLog.checksums')).toBeGreaterThan(run.lastIndexOf('insert mongockChangeLog'));
    expect(run.indexOf('insert mongockChangeLog.checksums')).toBeLessThan(run.length - 2);
    // 10 × (own + marker) + the history inserts + 14 fixed: hello, find, createIndexes (lock),
    // hello, findAndModify, createIndexes (history, companion), 2 counts (companion complete?),
    // find (re-read under the lock), clear marker, companion write, hello, release.
    expect(run.length, run.join('\n')).toBe(10 * 2 + inserts + 14);
    const history = client.db(name).collection('mongockChangeLog');
    expect(await history.countDocuments({ state: 'EXECUTED' })).toBe(20);
    // The lock document carries nothing once released: every entry is in the history.
    expect(await client.db(name).collection('mongockLock').findOne({ key: 'DEFAULT_KEY' })).toMatchObject({ carriedEntries: null });
    const companion = await client
      .db(name)
      .collection('mongockChangeLog.checksums')
      .countDocuments({ checksum: { $type: 'string' } });
    expect(companion).toBe(20);
  });

  it(`40 units: one history insert per ${CARRY_AT_MOST} carried entries, in the order they ran`, async () => {
    const other = `${name}_k`;
    sent.length = 0;
    try {
      const result = await new MongockBuilder()
        .setDriver(mongoDriver({ client, databaseName: other }))
        .setLogger(silentLogger)
        .addChangeUnits(...(units<MongoChangeContext>(1, 40, ({ db }) => db.collection('own').insertOne({ at: 1 })) as never[]))
        .buildRunner()
        .execute();
      expect(result.executed).toBe(40);
      const run = [...sent];
      expect(run.filter((s) => s === 'insert own')).toHaveLength(40);
      expect(run.filter((s) => s === 'update mongockLock')).toHaveLength(40 + 2);
      expect(run.filter((s) => s === 'insert mongockChangeLog')).toHaveLength(Math.ceil(40 / CARRY_AT_MOST));
      const ids = (
        await client
          .db(other)
          .collection('mongockChangeLog')
          .find({}, { sort: { _id: 1 } })
          .toArray()
      ).map((entry) => entry.changeId);
      expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`));
    } finally {
      await client.db(other).dropDatabase();
    }
  });
});

describe('round trips: MariaDB (statements through the mysql2 connection)', () => {
  let db: MysqlTestDatabase;
  let connection: mysql.Connection;
  const sent: string[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('mongock_rt');
    connection = await mysql.createConnection(db.uri);
    countMysqlQueries(connection, (text) => sent.push(shortStatement(text)));
  });
  afterAll(async () => {
    await connection.end();
    await db.drop();
  });

  it('idle: 2 statements; a run: 6 fixed; each unit: START TRANSACTION, its own, one history INSERT, COMMIT', async () => {
    const { more, idle } = await phases<MysqlChangeContext>(
      () => mysqlDriver({ connection }),
      ({ sql }) => sql.query('SELECT 1 AS own'),
      sent,
    );
    expect(idle, idle.join('\n')).toHaveLength(2);
    const run = more.map((s) => (s === 'SELECT 1 AS own' ? 'OWN' : s));
    expect(perUnit(run).own).toBe(10);
    expect(run.filter((s) => s === 'START TRANSACTION')).toHaveLength(10);
    expect(run.filter((s) => s.startsWith('SELECT IS_USED_LOCK'))).toHaveLength(0);
    // 10 × 4 + 6 fixed: session, history read (with the lock row, same statement), GET_LOCK, the
    // lock row upsert (it reports the new fence), release update, RELEASE_LOCK. The history table
    // is known to exist from the read; the re-read under the lock and the lock row read are
    // answered by the fence (the one after the fence seen with the history).
    expect(run.length, run.join('\n')).toBe(10 * 4 + 6);
    expect(run.filter((s) => s.startsWith('SELECT l.fence AS lock_fence'))).toHaveLength(1);
    expect(run.filter((s) => s.startsWith('SELECT owner, hostname'))).toHaveLength(0);
    expect(run.filter((s) => s.includes('LIMIT 0'))).toHaveLength(0);
  });
});

describe('round trips: SQLite (statements through the better-sqlite3 handle)', () => {
  const file = tempSqliteFile();
  const sent: string[] = [];
  let database: Database.Database;
  beforeAll(() => {
    database = new Database(file.filename);
    countSqliteStatements(database, (text) => sent.push(shortStatement(text)));
  });
  afterAll(() => {
    database.close();
    file.cleanup();
  });

  it('idle: one history SELECT; each unit: BEGIN IMMEDIATE, its own, the history upsert, the fenced lease update, COMMIT', async () => {
    const { more, idle } = await phases<SqliteChangeContext>(
      () => sqliteDriver({ database: database as never }),
      async ({ sql }) => sql.all('SELECT 1 AS own'),
      sent,
    );
    expect(idle, idle.join('\n')).toHaveLength(1);
    const run = more.map((s) => (s === 'SELECT 1 AS own' ? 'OWN' : s));
    expect(perUnit(run).own).toBe(10);
    // 10 × 5 + fixed: history read, lock (BEGIN IMMEDIATE, CREATE TABLE IF NOT EXISTS, its
    // columns, read, upsert, COMMIT), history CREATE TABLE IF NOT EXISTS, re-read, release.
    expect(run.length, run.join('\n')).toBe(10 * 5 + 10);
  });

  it('batched units resumed: the history is read twice per run (before and under the lock), not once more per resumed unit', async () => {
    // Three batched units over 25 numbers in batches of 10; a first run fails each at its second
    // batch (the units' failFast: false), leaving three running checkpoints. Whether a checkpoint is
    // resumable is judged against the history the run read under the lock, not a read per unit.
    let failing = true;
    const numbers = (id: string) =>
      defineChangeUnit<SqliteChangeContext>({
        id,
        order: id,
        author: 'rt',
        failFast: false,
        execute: batched<number, SqliteChangeContext>({
          source: {
            read: async (_ctx, after, size, until) => {
              const from = after === undefined ? 0 : (after as number) + 1;
              const to = Math.min(25, from + size, until === undefined ? 25 : (until as number) + 1);
              return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
            },
            keyOf: (n) => n,
          },
          size: 10,
          apply: async (batch) => {
            if (failing && batch[0] === 10) throw new Error('second batch refused');
          },
        }),
        rollback: async () => {},
      });
    const list = [numbers('b1'), numbers('b2'), numbers('b3')];
    const runner = () =>
      new MongockBuilder()
        .setDriver(sqliteDriver({ database: database as never }))
        .setLogger(silentLogger)
        .addChangeUnits(...list)
        .buildRunner();
    const historyReads = () => sent.filter((s) => s.startsWith('SELECT *, CAST(ROUND((julianday(timestamp)')).length;
    expect((await runner().execute()).failed).toBe(3);
    failing = false;
    sent.length = 0;
    const result = await runner().execute();
    expect(result.executed).toBe(3);
    // Before the lock, and the re-read under it.
    expect(historyReads(), sent.join('\n')).toBe(2);
  });
});
