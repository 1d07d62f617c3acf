import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type SqliteChangeContext, sqliteDriver, tableSource } from '../../src/drivers/sqlite/index.ts';
import { batched, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { createSqliteItems, tempSqliteFile } from '../support/sqlite-harness.ts';

// On SQLite a batch's checkpoint upsert is also its transaction's fence (no separate lock-row
// update per batch). A takeover cannot happen while a batch holds the write lock, so the test
// makes the lock row name another holder from inside the batch's own transaction, as a takeover
// would have left it: the checkpoint must then write nothing and the whole batch roll back.

describe('SQLite: the checkpoint fences its batch', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('a batch whose transaction sees another fence commits neither its rows nor its checkpoint (LOCK_LOST); the batches before it stay', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    const setup = new Database(file.filename);
    createSqliteItems(setup, 30);
    setup.close();
    let batch = 0;
    const unit = defineChangeUnit<SqliteChangeContext>({
      id: 'fenced',
      order: '001',
      author: 'data',
      execute: batched<{ id: number }, SqliteChangeContext>({
        source: tableSource({ table: 'items', columns: ['id'] }),
        size: 10,
        async apply(rows, { sql, database }) {
          await sql.run('UPDATE items SET n = n + 1 WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(rows.map((row) => row.id)));
          // The second batch: the lock row now says another grant (fence + 1), as after a takeover.
          if (++batch === 2) database.exec('UPDATE mongockLock SET fence = fence + 1');
        },
      }),
      rollback: async () => {},
    });
    const run = new MongockBuilder<SqliteChangeContext>()
      .setDriver(sqliteDriver({ filename: file.filename }))
      .setLogger(silentLogger)
      .setLockConfig({ acquiredForMs: 600_000 })
      .addChangeUnits(unit)
      .buildRunner()
      .execute();
    await expect(run).rejects.toMatchObject({ code: 'LOCK_LOST' });
    expect(batch).toBe(2);
    const check = new Database(file.filename, { readonly: true });
    try {
      expect(check.prepare('SELECT n, count(*) AS c FROM items GROUP BY n ORDER BY n').all()).toEqual([
        { n: 0, c: 20 },
        { n: 1, c: 10 },
      ]);
      expect(check.prepare('SELECT state, batches, processed, last_key FROM mongockChangeLog_checkpoints').all()).toEqual([
        { state: 'running', batches: 1, processed: 10, last_key: '10' },
      ]);
    } finally {
      check.close();
    }
  });
});
