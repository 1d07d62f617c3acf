import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type MysqlChangeContext, mysqlDriver, tableSource as mysqlTableSource } from '../../src/drivers/mysql/index.ts';
import { type SqliteChangeContext, sqliteDriver, tableSource as sqliteTableSource } from '../../src/drivers/sqlite/index.ts';
import { type BatchSource, batched, type Driver, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { createTestDatabase, type MysqlTestDatabase } from '../support/mysql-harness.ts';
import { createSqliteItems, tempSqliteFile } from '../support/sqlite-harness.ts';

// On SQLite a pass's first checkpoint is an upsert that makes the row; the later ones UPDATE its
// progress columns by key (test/drivers/batch-round-trips.test.ts pins which statement a batch
// sends). Where the UPDATE matches nothing — here the change deletes the row inside a batch, as a
// hand or another tool could between two batches — the store falls back to the upsert: the
// checkpoint is never lost, and the row it leaves is the whole checkpoint. MariaDB writes every
// checkpoint as an upsert; the same case holds there.

const ROWS = 50;
const SIZE = 10;

interface Scenario<T extends object> {
  readonly driver: Driver<T>;
  readonly source: BatchSource<{ id: number }, T>;
  readonly mark: (context: T, ids: readonly number[]) => Promise<unknown>;
  readonly deleteCheckpoints: (context: T) => Promise<unknown>;
  readonly readCheckpoints: (context: T) => Promise<Array<Record<string, unknown>>>;
}

/** Runs the unit that deletes its checkpoint row inside batch 3; returns what batch 4 saw of it and the execution id. */
async function runDeletingBatch3<T extends object>(scenario: Scenario<T>): Promise<{ seen: Array<Record<string, unknown>>; executionId: string }> {
  const seen: Array<Record<string, unknown>> = [];
  let batch = 0;
  const unit = defineChangeUnit<T>({
    id: 'deleted-row',
    order: '001',
    author: 'data',
    execute: batched<{ id: number }, T>({
      source: scenario.source,
      size: SIZE,
      async apply(rows, context) {
        await scenario.mark(
          context,
          rows.map((row) => row.id),
        );
        batch += 1;
        // Batch 4 sees what batch 3 committed.
        if (batch === 4) seen.push(...(await scenario.readCheckpoints(context)));
        if (batch === 3) await scenario.deleteCheckpoints(context);
      },
    }),
    rollback: async () => {},
  });
  const result = await new MongockBuilder<T>().setDriver(scenario.driver).setLogger(silentLogger).addChangeUnits(unit).buildRunner().execute();
  expect(result.executed).toBe(1);
  return { seen, executionId: result.executionId };
}

function expectComplete(rows: Array<Record<string, unknown>>, executionId: string) {
  expect(rows).toEqual([expect.objectContaining({ change_id: 'deleted-row', author: 'data', direction: 'execute', execution_id: executionId, state: 'done' })]);
  expect(
    rows.map((row) => ({ batches: Number(row.batches), processed: Number(row.processed), estimated: Number(row.estimated_total), last: row.last_key })),
  ).toEqual([{ batches: ROWS / SIZE, processed: ROWS, estimated: ROWS, last: String(ROWS) }]);
}

describe('a checkpoint UPDATE that matches no row falls back to the upsert', () => {
  let cleanup: (() => Promise<void> | void) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('SQLite: the row deleted inside batch 3: that batch still commits its checkpoint, and the last one is complete', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    const setup = new Database(file.filename);
    createSqliteItems(setup, ROWS);
    setup.close();
    const { seen, executionId } = await runDeletingBatch3<SqliteChangeContext>({
      driver: sqliteDriver({ filename: file.filename }),
      source: sqliteTableSource({ table: 'items', columns: ['id'] }),
      mark: ({ sql }, ids) => sql.run('UPDATE items SET n = n + 1 WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(ids)),
      deleteCheckpoints: ({ sql }) => sql.run('DELETE FROM mongockChangeLog_checkpoints'),
      readCheckpoints: async ({ database }) =>
        database.prepare('SELECT batches, processed FROM mongockChangeLog_checkpoints').all() as Array<Record<string, unknown>>,
    });
    expect(seen).toEqual([{ batches: 3, processed: 30 }]);
    const check = new Database(file.filename, { readonly: true });
    try {
      expectComplete(check.prepare('SELECT * FROM mongockChangeLog_checkpoints').all() as Array<Record<string, unknown>>, executionId);
      expect(check.prepare('SELECT n, count(*) AS c FROM items GROUP BY n').all()).toEqual([{ n: 1, c: ROWS }]);
    } finally {
      check.close();
    }
  });

  it('MariaDB: the row deleted inside batch 3: that batch still commits its checkpoint, and the last one is complete', async () => {
    const db: MysqlTestDatabase = await createTestDatabase('mongock_cku');
    cleanup = () => db.drop();
    await db.admin.query(`CREATE TABLE ${db.table('items')} (id int PRIMARY KEY, n int NOT NULL DEFAULT 0) ENGINE=InnoDB`);
    await db.admin.query(`INSERT INTO ${db.table('items')} (id) SELECT seq FROM seq_1_to_${ROWS}`);
    const { seen, executionId } = await runDeletingBatch3<MysqlChangeContext>({
      driver: mysqlDriver({ uri: db.uri }),
      source: mysqlTableSource({ table: 'items', columns: ['id'] }),
      mark: ({ sql }, ids) => sql.run('UPDATE items SET n = n + 1 WHERE id IN (?)', [ids]),
      deleteCheckpoints: ({ sql }) => sql.run('DELETE FROM mongock_change_log_checkpoints'),
      readCheckpoints: ({ sql }) => sql.query('SELECT batches, processed FROM mongock_change_log_checkpoints') as Promise<Array<Record<string, unknown>>>,
    });
    expect(seen.map((row) => ({ batches: Number(row.batches), processed: Number(row.processed) }))).toEqual([{ batches: 3, processed: 30 }]);
    expectComplete(await db.rows(`SELECT * FROM ${db.table('mongock_change_log_checkpoints')}`), executionId);
    expect(await db.rows(`SELECT n, count(*) AS c FROM ${db.table('items')} GROUP BY n`)).toEqual([{ n: 1, c: ROWS }]);
  });
});
