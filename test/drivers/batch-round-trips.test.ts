import Database from 'better-sqlite3';
import type { MongoClient } from 'mongodb';
import mysql from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionSource, type MongoChangeContext, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { type MysqlChangeContext, mysqlDriver, tableSource as mysqlTableSource } from '../../src/drivers/mysql/index.ts';
import { type PostgresChangeContext, postgresDriver, tableSource as postgresTableSource } from '../../src/drivers/postgres/index.ts';
import { type SqliteChangeContext, sqliteDriver, tableSource as sqliteTableSource } from '../../src/drivers/sqlite/index.ts';
import { type BatchSource, batched, type Driver, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { countedMongoClient, countedPgClient, countMysqlQueries, countSqliteStatements } from '../support/count-statements.ts';
import { freshDatabaseName } from '../support/mongodb-harness.ts';
import { createTestDatabase, type MysqlTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { FERRETDB_URL, POSTGRES_URL } from '../support/servers.ts';
import { createSqliteItems, tempSqliteFile } from '../support/sqlite-harness.ts';

// What a batch costs beyond the user's own statements is part of the contract (issue 13: the
// checkpoint's overhead). Statements (or commands) are counted through each driver's client while
// a batched unit runs 10 batches; the statements sent between two `batch-progress` events are one
// batch's. The source's read and the unit's update are marked OWN (the user's work, which a
// hand-written loop sends too); everything else is the runner's. A change that adds a round trip
// to a batch fails here with the list of what one batch sent.

const SIZE = 10;
const BATCHES = 10;
const ROWS = SIZE * BATCHES - 3; // the last batch is short: it ends the source

/**
 * What one statement is, in the terms of the contract: OWN (the source's keyset read and the
 * unit's update, which a hand-written loop sends too), ESTIMATE (the progress count, once),
 * CHECKPOINT, ENTRY (the history), LOCK (a fence or a lease write), or the statement itself
 * (BEGIN, COMMIT, SAVEPOINT …).
 */
function token(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (/count/i.test(t) && /\bitems\b/.test(t)) return 'ESTIMATE';
  if (/\bitems\b/.test(t)) return 'OWN';
  // The last batch's COMMIT query carries the unit's history entry too (PostgreSQL), whose
  // checkpoint is an EXECUTE of the upsert the session PREPAREd with the store's set-up.
  // A pass's later checkpoints are a plain UPDATE of the row its first one upserted: CHECKPOINT UPDATE.
  if (/^UPDATE \S*_checkpoints/.test(t)) return 'CHECKPOINT UPDATE';
  if (/_checkpoints|^EXECUTE mongock_checkpoint_|; EXECUTE mongock_checkpoint_/.test(t))
    return /; COMMIT$/.test(t) ? `${/"mongock_change_log" \(/.test(t) ? 'ENTRY; ' : ''}CHECKPOINT; COMMIT` : 'CHECKPOINT';
  if (/mongock_?lock/i.test(t)) return 'LOCK';
  if (/change_?log/i.test(t)) return 'ENTRY';
  return t;
}

/** Runs one batched unit of {@link BATCHES} batches; returns the statements of each batch (between two `batch-progress` events). */
async function batchesOf<T extends object>(
  driver: Driver<T>,
  source: BatchSource<unknown, T>,
  apply: (batch: readonly unknown[], context: T) => Promise<unknown>,
  sent: string[],
) {
  const unit = defineChangeUnit<T>({
    id: 'batch-rt',
    order: '001',
    author: 'rt',
    execute: batched<unknown, T>({ source, size: SIZE, apply }),
    rollback: async () => {},
  });
  // A long lease: no renewal falls inside the counted batches however slow the machine is.
  const runner = new MongockBuilder<T>()
    .setDriver(driver)
    .setLogger(silentLogger)
    .setLockConfig({ acquiredForMs: 600_000 })
    .addChangeUnits(unit as never)
    .buildRunner();
  const marks: number[] = [];
  runner.on('unit-started', () => marks.push(sent.length));
  runner.on('batch-progress', () => marks.push(sent.length));
  sent.length = 0;
  const result = await runner.execute();
  expect(result.executed).toBe(1);
  expect(marks).toHaveLength(BATCHES + 1);
  return marks.slice(1).map((end, i) => sent.slice(marks[i], end).map(token));
}

describe('statements per batch: PostgreSQL (through the pg client)', () => {
  let db: PostgresTestSchema;
  let client: pg.Client;
  const sent: string[] = [];
  beforeAll(async () => {
    db = await createTestSchema('mongock_brt');
    await db.admin.query(`CREATE TABLE ${db.table('items')} (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
    await db.admin.query(`INSERT INTO ${db.table('items')} (id) SELECT generate_series(1, ${ROWS})`);
    client = await countedPgClient(POSTGRES_URL, (text) => sent.push(text));
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('BEGIN, the batch, and the checkpoint sent with COMMIT in one query: the round trips of a hand-written loop', async () => {
    const batches = await batchesOf<PostgresChangeContext>(
      postgresDriver({ client: client as never, schema: db.schema }),
      postgresTableSource({ table: `${db.schema}.items`, columns: ['id'] }) as never,
      (batch, { sql }) => sql.query(`UPDATE ${db.table('items')} SET n = n + 1 WHERE id = ANY($1::int[])`, [(batch as { id: number }[]).map((row) => row.id)]),
      sent,
    );
    // The last batch's entry rides in its COMMIT query: no round trip of its own.
    const show = batches.map((batch, i) => `batch ${i + 1}: ${batch.join(' | ')}`).join('\n');
    expect(batches[0], show).toEqual(['CHECKPOINT', 'CHECKPOINT', 'BEGIN', 'ESTIMATE', 'OWN', 'OWN', 'CHECKPOINT; COMMIT']);
    for (const middle of batches.slice(1, -1)) expect(middle, show).toEqual(['BEGIN', 'OWN', 'OWN', 'CHECKPOINT; COMMIT']);
    expect(batches.at(-1), show).toEqual(['BEGIN', 'OWN', 'OWN', 'ENTRY; CHECKPOINT; COMMIT']);
    // The checkpoint is not parsed and planned per batch: prepared with the store's set-up, executed with each COMMIT.
    const commits = sent.filter((text) => /COMMIT$/.test(text));
    expect(commits, commits.join('\n')).toHaveLength(BATCHES);
    for (const commit of commits) expect(commit).toMatch(/(^|;\s*)EXECUTE mongock_checkpoint_[0-9a-f]{16}\('batch-rt', 'rt', /);
    expect(sent.filter((text) => /PREPARE mongock_checkpoint_/.test(text))).toHaveLength(1);
    const { rows } = await db.admin.query(`SELECT n, count(*)::int AS c FROM ${db.table('items')} GROUP BY n`);
    expect(rows).toEqual([{ n: 1, c: ROWS }]);
    const { rows: checkpoints } = await db.admin.query(`SELECT state, batches::int, processed::int FROM ${db.table('mongock_change_log_checkpoints')}`);
    expect(checkpoints).toEqual([{ state: 'done', batches: BATCHES, processed: ROWS }]);
  });
});

describe('statements per batch: MariaDB (through the mysql2 connection)', () => {
  let db: MysqlTestDatabase;
  let connection: mysql.Connection;
  const sent: string[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('mongock_brt');
    await db.admin.query(`CREATE TABLE ${db.table('items')} (id int PRIMARY KEY, n int NOT NULL DEFAULT 0) ENGINE=InnoDB`);
    await db.admin.query(`INSERT INTO ${db.table('items')} (id) SELECT seq FROM seq_1_to_${ROWS}`);
    connection = await mysql.createConnection(db.uri);
    countMysqlQueries(connection, (text) => sent.push(text));
  });
  afterAll(async () => {
    await connection.end();
    await db.drop();
  });

  it('the batch, the checkpoint upsert, COMMIT AND CHAIN (which opens the next batch’s transaction): the statements of a hand-written loop; the fence is the session lock', async () => {
    const batches = await batchesOf<MysqlChangeContext>(
      mysqlDriver({ connection }),
      mysqlTableSource({ table: 'items', columns: ['id'] }) as never,
      (batch, { sql }) => sql.run('UPDATE items SET n = n + 1 WHERE id IN (?)', [(batch as { id: number }[]).map((row) => row.id)]),
      sent,
    );
    // mysql2 sends one statement per query (Mongock does not turn on multipleStatements), so the
    // checkpoint cannot ride with COMMIT as on PostgreSQL; instead the COMMIT starts the next
    // batch's transaction, and a batch sends the loop's START TRANSACTION + COMMIT count.
    const show = batches.map((batch, i) => `batch ${i + 1}: ${batch.join(' | ')}`).join('\n');
    // Every batch's checkpoint is the upsert: an UPDATE by key measured no cheaper here (docs/batched-changes.md).
    expect(batches[0], show).toEqual(['CHECKPOINT', 'CHECKPOINT', 'START TRANSACTION', 'ESTIMATE', 'OWN', 'OWN', 'CHECKPOINT', 'COMMIT AND CHAIN']);
    for (const middle of batches.slice(1, -1)) expect(middle, show).toEqual(['OWN', 'OWN', 'CHECKPOINT', 'COMMIT AND CHAIN']);
    expect(batches.at(-1), show).toEqual(['OWN', 'OWN', 'CHECKPOINT', 'ENTRY', 'COMMIT']);
    expect(await db.rows(`SELECT n, count(*) AS c FROM ${db.table('items')} GROUP BY n`)).toEqual([{ n: 1, c: ROWS }]);
    // The caller's connection is handed back outside any transaction.
    const [[open]] = (await connection.query('SELECT @@in_transaction AS open')) as unknown as [[{ open: number }]];
    expect(open.open).toBe(0);
  });

  it('a run stopped by its time budget after a chained COMMIT commits that empty transaction before anything else: the batch stays, the connection autocommits again', async () => {
    await db.admin.query(`UPDATE ${db.table('items')} SET n = 0`);
    await db.admin.query(`DROP TABLE IF EXISTS ${db.table('mongock_change_log')}, ${db.table('mongock_change_log_checkpoints')}`);
    const unit = defineChangeUnit<MysqlChangeContext>({
      id: 'batch-stop',
      order: '001',
      author: 'rt',
      maxRunMs: 1,
      execute: batched<{ id: number }, MysqlChangeContext>({
        source: mysqlTableSource({ table: 'items', columns: ['id'] }),
        size: SIZE,
        apply: (batch, { sql }) => sql.run('UPDATE items SET n = n + 1 WHERE id IN (?)', [batch.map((row) => row.id)]),
      }),
      rollback: async () => {},
    });
    sent.length = 0;
    const result = await new MongockBuilder<MysqlChangeContext>()
      .setDriver(mysqlDriver({ connection }))
      .setLogger(silentLogger)
      .addChangeUnits(unit)
      .buildRunner()
      .execute();
    expect(result.status).toBe('in-progress');
    const chained = sent.indexOf('COMMIT AND CHAIN');
    expect(chained, sent.join('\n')).toBeGreaterThan(-1);
    expect(sent[chained + 1], sent.join('\n')).toBe('COMMIT');
    const [[open]] = (await connection.query('SELECT @@in_transaction AS open')) as unknown as [[{ open: number }]];
    expect(open.open).toBe(0);
    // Another connection sees the first batch, and its checkpoint, committed.
    expect(await db.rows(`SELECT n, count(*) AS c FROM ${db.table('items')} GROUP BY n ORDER BY n`)).toEqual([
      { n: 0, c: ROWS - SIZE },
      { n: 1, c: SIZE },
    ]);
    expect(await db.rows(`SELECT state, batches FROM ${db.table('mongock_change_log_checkpoints')}`)).toEqual([{ state: 'running', batches: 1 }]);
  });
});

describe('statements per batch: SQLite (through the better-sqlite3 handle)', () => {
  const file = tempSqliteFile();
  const sent: string[] = [];
  const prepared: string[] = [];
  let database: Database.Database;
  beforeAll(() => {
    database = new Database(file.filename);
    createSqliteItems(database, ROWS);
    countSqliteStatements(
      database,
      (text) => sent.push(text),
      (text) => prepared.push(text),
    );
  });
  afterAll(() => {
    database.close();
    file.cleanup();
  });

  it('BEGIN IMMEDIATE, the batch, the checkpoint (an upsert at the first batch, then an UPDATE by key) that carries the fence, COMMIT; each statement prepared once per run', async () => {
    prepared.length = 0;
    const batches = await batchesOf<SqliteChangeContext>(
      sqliteDriver({ database: database as never }),
      sqliteTableSource({ table: 'items', columns: ['id'] }) as never,
      (batch, { sql }) =>
        sql.run('UPDATE items SET n = n + 1 WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify((batch as { id: number }[]).map((row) => row.id))),
      sent,
    );
    // The first batch's checkpoint is the fenced upsert that makes the row; every later one an UPDATE of it by key, fenced in its WHERE.
    const show = batches.map((batch, i) => `batch ${i + 1}: ${batch.join(' | ')}`).join('\n');
    expect(batches[0], show).toEqual(['CHECKPOINT', 'CHECKPOINT', 'BEGIN IMMEDIATE', 'ESTIMATE', 'OWN', 'OWN', 'CHECKPOINT', 'COMMIT']);
    for (const middle of batches.slice(1, -1)) expect(middle, show).toEqual(['BEGIN IMMEDIATE', 'OWN', 'OWN', 'CHECKPOINT UPDATE', 'COMMIT']);
    expect(batches.at(-1), show).toEqual(['BEGIN IMMEDIATE', 'OWN', 'OWN', 'CHECKPOINT UPDATE', 'ENTRY', 'COMMIT']);
    const update = prepared.find((text) => token(text) === 'CHECKPOINT UPDATE') ?? '';
    expect(update.replace(/\s+/g, ' ')).toMatch(
      / WHERE change_id = \? AND author = \? .* AND EXISTS \(SELECT 1 FROM "mongockLock" WHERE key = \? AND owner = \? AND fence = \?\)$/,
    );
    // Parsing is most of a short statement's cost in better-sqlite3: what repeats every batch is prepared once.
    // (Only the history is read twice per run, before the lock and under it.)
    const perBatch = ['BEGIN IMMEDIATE', 'OWN', 'CHECKPOINT', 'CHECKPOINT UPDATE', 'COMMIT'];
    const repeated = prepared.filter((text, i) => prepared.indexOf(text) !== i && perBatch.includes(token(text)));
    expect(repeated, repeated.join('\n')).toEqual([]);
    // The first read (no lower bound), the later reads (`id > ?`), the update: three texts, each prepared once.
    expect(prepared.filter((text) => token(text) === 'OWN')).toHaveLength(3);
    expect(database.prepare('SELECT n, count(*) AS c FROM items GROUP BY n').all()).toEqual([{ n: 1, c: ROWS }]);
  });
});

describe('commands per batch: MongoDB wire without transactions (FerretDB; command monitoring)', () => {
  let client: MongoClient;
  const name = freshDatabaseName();
  const sent: string[] = [];
  beforeAll(async () => {
    client = await countedMongoClient(FERRETDB_URL, (command) => sent.push(command));
    await client
      .db(name)
      .collection<{ _id: number; n: number }>('items')
      .insertMany(Array.from({ length: ROWS }, (_, i) => ({ _id: i + 1, n: 0 })));
  });
  afterAll(async () => {
    await client.db(name).dropDatabase();
    await client.close();
  });

  it('the batch, then one checkpoint write (fenced by the lease, no lock command); the last batch writes its entry before it marks the checkpoint done', async () => {
    const batches = await batchesOf<MongoChangeContext>(
      mongoDriver({ client, databaseName: name }),
      collectionSource({ collection: 'items', projection: { _id: 1 } }) as never,
      (batch, { db }) =>
        db.collection<{ _id: number; n: number }>('items').updateMany({ _id: { $in: (batch as { _id: number }[]).map((d) => d._id) } }, { $inc: { n: 1 } }),
      sent,
    );
    const show = batches.map((batch, i) => `batch ${i + 1}: ${batch.join(' | ')}`).join('\n');
    // Set-up: the checkpoint index, its one read, the in-progress marker on the lock (no transactions).
    expect(batches[0], show).toEqual(['CHECKPOINT', 'CHECKPOINT', 'LOCK', 'ESTIMATE', 'OWN', 'OWN', 'CHECKPOINT']);
    for (const middle of batches.slice(1, -1)) expect(middle, show).toEqual(['OWN', 'OWN', 'CHECKPOINT']);
    // The entry is written before the done checkpoint, not carried by the next lock write: a crash
    // in between would leave a done checkpoint with no entry (test/batches/kill-before-entry.test.ts).
    // The release then has nothing carried left to insert: the same writes per unit, one moved earlier.
    expect(batches.at(-1), show).toEqual(['OWN', 'OWN', 'CHECKPOINT', 'ENTRY', 'CHECKPOINT']);
    const markers = await client
      .db(name)
      .collection('items')
      .aggregate([{ $group: { _id: '$n', c: { $sum: 1 } } }])
      .toArray();
    expect(markers).toEqual([{ _id: 1, c: ROWS }]);
  });
});
