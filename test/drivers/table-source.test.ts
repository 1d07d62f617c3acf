import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresChangeContext, tableSource as pgTableSource, postgresDriver } from '../../src/drivers/postgres/index.ts';
import { type SqliteChangeContext, sqliteDriver, tableSource as sqliteTableSource } from '../../src/drivers/sqlite/index.ts';
import { type BatchProgress, batched, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { POSTGRES_URL } from '../support/servers.ts';

// tableSource on the real databases: key order, the WHERE text, quoted identifiers, the COUNT
// estimate, resume after a time-boxed run, and the checkpoint table named after the history's.

describe('tableSource on SQLite (a real file)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mongock-table-source-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('visits the rows matching WHERE in key order, once each, across a maxRunMs stop, and keeps the checkpoint in <history>_checkpoints', async () => {
    const filename = join(dir, 'app.db');
    const db = new Database(filename);
    db.exec('CREATE TABLE "User Accounts" ("user id" INTEGER PRIMARY KEY, email TEXT, visits INTEGER NOT NULL DEFAULT 0)');
    const insert = db.prepare('INSERT INTO "User Accounts" ("user id", email) VALUES (?, ?)');
    for (let i = 1; i <= 250; i++) insert.run(i * 3, i % 5 === 0 ? null : `U${i}@Example.com`);
    db.close();
    const unit = defineChangeUnit<SqliteChangeContext>({
      id: 'lowercase',
      order: '001',
      author: 'data',
      execute: batched<{ 'user id': number }, SqliteChangeContext>({
        source: sqliteTableSource({ table: 'User Accounts', key: 'user id', where: 'email IS NOT NULL', columns: ['user id'] }),
        size: 40,
        pauseMs: 60,
        async apply(batch, { sql }) {
          for (const row of batch) await sql.run('UPDATE "User Accounts" SET email = lower(email), visits = visits + 1 WHERE "user id" = ?', row['user id']);
        },
      }),
      rollback: async () => undefined,
    });
    const progress: BatchProgress[] = [];
    const run = () => {
      const runner = new MongockBuilder()
        .setDriver(sqliteDriver({ filename }))
        .addChangeUnits(unit)
        .setLogger(silentLogger)
        .setLockQuickConfig()
        .setMaxRunMs(100)
        .buildRunner();
      runner.on('batch-progress', (p) => progress.push(p));
      return runner.execute();
    };
    const statuses = [(await run()).status];
    while (statuses.at(-1) === 'in-progress' && statuses.length < 20) statuses.push((await run()).status);
    expect(statuses[0]).toBe('in-progress');
    expect(statuses.at(-1)).toBe('completed');
    const check = new Database(filename, { readonly: true });
    try {
      const rows = check.prepare('SELECT email, visits FROM "User Accounts" ORDER BY "user id"').all() as { email: string | null; visits: number }[];
      expect(rows.filter((r) => r.email !== null).every((r) => r.visits === 1 && r.email === r.email!.toLowerCase())).toBe(true);
      expect(rows.filter((r) => r.email === null).every((r) => r.visits === 0)).toBe(true);
      const checkpoint = check.prepare('SELECT * FROM "mongockChangeLog_checkpoints"').get() as Record<string, unknown>;
      expect(checkpoint).toMatchObject({ change_id: 'lowercase', state: 'done', processed: 200, batches: 5, last_key: '747', estimated_total: 200 });
    } finally {
      check.close();
    }
    // 200 rows fill the fifth batch: an empty sixth read ends the source (and commits the entry).
    expect(progress.map((p) => [p.processed, p.done])).toEqual([
      [40, false],
      [80, false],
      [120, false],
      [160, false],
      [200, false],
      [200, true],
    ]);
    expect(progress.every((p) => p.estimatedTotal === 200)).toBe(true);
  });
});

describe('tableSource on PostgreSQL (real server)', () => {
  let schema: PostgresTestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('mongock_ts');
  });
  afterAll(async () => schema.drop());

  it('reads in key order with the WHERE text, commits each batch with its checkpoint, and names the table after the history', async () => {
    await schema.admin.query(`CREATE TABLE ${schema.table('Orders')} (id bigint PRIMARY KEY, status text NOT NULL, touched int NOT NULL DEFAULT 0)`);
    await schema.admin.query(
      `INSERT INTO ${schema.table('Orders')} (id, status) SELECT g, CASE WHEN g % 4 = 0 THEN 'closed' ELSE 'open' END FROM generate_series(1, 1000) AS g`,
    );
    const table = `${schema.schema}.Orders`;
    const unit = defineChangeUnit<PostgresChangeContext>({
      id: 'archive-open',
      order: '001',
      author: 'data',
      execute: batched<{ id: string }, PostgresChangeContext>({
        source: pgTableSource({ table, where: "status = 'open'", columns: ['id'] }),
        size: 100,
        pauseMs: 30,
        async apply(batch, { sql }) {
          await sql.query(`UPDATE ${schema.table('Orders')} SET touched = touched + 1 WHERE id = ANY($1::bigint[])`, [batch.map((row) => row.id)]);
        },
      }),
      rollback: async () => undefined,
    });
    const run = () =>
      new MongockBuilder()
        .setDriver(postgresDriver({ connectionString: POSTGRES_URL, schema: schema.schema }))
        .addChangeUnits(unit)
        .setLogger(silentLogger)
        .setLockQuickConfig()
        .setMaxRunMs(80)
        .buildRunner()
        .execute();
    const statuses = [(await run()).status];
    while (statuses.at(-1) === 'in-progress' && statuses.length < 30) statuses.push((await run()).status);
    expect(statuses[0]).toBe('in-progress');
    expect(statuses.at(-1)).toBe('completed');
    const { rows } = await schema.admin.query(`SELECT status, touched, count(*)::int AS n FROM ${schema.table('Orders')} GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(rows).toEqual([
      { status: 'closed', touched: 0, n: 250 },
      { status: 'open', touched: 1, n: 750 },
    ]);
    const { rows: checkpoints } = await schema.admin.query(`SELECT * FROM ${schema.table('mongock_change_log_checkpoints')}`);
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]).toMatchObject({
      change_id: 'archive-open',
      state: 'done',
      processed: '750',
      batches: '8',
      last_key: '"999"',
      estimated_total: '750',
    });
  });
});
