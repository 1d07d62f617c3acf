import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';

// Issue 17 point 3: a 10,000-unit SQLite apply lost its lease. better-sqlite3 is synchronous, so
// a run of SQLite units awaits only settled promises and never yields to the renewal timer; the
// local deadline then passed while the database lease was fine. 130 units of 100 ms of
// synchronous work (as a slow better-sqlite3 statement is) outlast a 12 s lease (its local
// deadline is 10.8 s); a renewal is due 4 s after the last, and the run passes only if units
// renew it between them. A 12 s lease, not the quick 3 s one: the gap between two units may grow
// to 6.8 s (a stalled fsync, a starved process on a loaded machine) before the test could fail.
const UNITS = 130;
const SYNC_MS = 100;
const LEASE_MS = 12_000;

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
        .setLockConfig({ acquiredForMs: LEASE_MS, tryFrequencyMs: 100, quitTryingAfterMs: 10_000 })
        .addChangeUnits(...units)
        .buildRunner()
        .execute();
      // The test proves something only if the run outlasted the lease's local deadline (90% of it).
      expect(performance.now() - started).toBeGreaterThan(LEASE_MS);
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
  }, 120_000);
});
