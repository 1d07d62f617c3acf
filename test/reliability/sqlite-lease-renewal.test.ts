import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';

// Issue 17 point 3: a 10,000-unit SQLite apply lost its lease. better-sqlite3 is synchronous, so
// a run of SQLite units awaits only settled promises and never yields to the renewal timer; the
// local deadline then passed while the database lease was fine. 80 units of 50 ms of synchronous
// work (as a slow better-sqlite3 statement is) outlast a 3 s lease by far; each renewal is due
// 1 s after the last and every unit is short, so the run passes only if units renew the lease.
const UNITS = 80;
const SYNC_MS = 50;

describe('SQLite lease renewal with synchronous units (real SQLite file)', () => {
  it('a run longer than its lease, made of synchronous units, renews between units and completes', async () => {
    const file = tempSqliteFile();
    try {
      const units = Array.from({ length: UNITS }, (_, i) =>
        defineChangeUnit<SqliteChangeContext>({
          id: `sync-${i + 1}`,
          order: String(i + 1).padStart(3, '0'),
          author: 'test',
          // The raw handle (unguarded, as the docs allow): only the runner can renew the lease.
          execute({ database }) {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SYNC_MS);
            database.exec('CREATE TABLE IF NOT EXISTS effects (unit TEXT NOT NULL)');
            database.prepare('INSERT INTO effects (unit) VALUES (?)').run(`sync-${i + 1}`);
          },
          rollback() {},
        }),
      );
      const started = performance.now();
      const result = await new MongockBuilder()
        .setLogger(silentLogger)
        .setDriver(sqliteDriver({ filename: file.filename }))
        .setLockQuickConfig()
        .addChangeUnits(...units)
        .buildRunner()
        .execute();
      // The test proves something only if the run outlasted the lease's local deadline (2.7 s).
      expect(performance.now() - started).toBeGreaterThan(3_000);
      expect(result.status).toBe('completed');
      const db = new Database(file.filename, { readonly: true });
      try {
        const rows = db.prepare('SELECT unit, COUNT(*) AS n FROM effects GROUP BY unit').all() as { unit: string; n: number }[];
        expect(rows).toHaveLength(UNITS);
        expect(rows.every((row) => row.n === 1)).toBe(true);
      } finally {
        db.close();
      }
    } finally {
      file.cleanup();
    }
  }, 60_000);
});
