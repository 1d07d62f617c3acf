import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import type { DriverHarness } from '../../src/drivers/testkit/index.ts';

/** A fresh SQLite file per test, in a temporary folder. */
export function tempSqliteFile(): { filename: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mongock-sqlite-'));
  return { filename: join(dir, 'test.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The `items` table the batched-unit tests update: ids 1..count, each with a marker `n` of 0. */
export function createSqliteItems(database: Database.Database, count: number): void {
  database.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)');
  database.exec(`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${count}) INSERT INTO items (id) SELECT i FROM g`);
}

export const sqliteHarness: DriverHarness<SqliteChangeContext> = {
  name: 'sqlite',
  async setup() {
    const { filename, cleanup } = tempSqliteFile();
    const direct = new Database(filename);
    direct.exec('CREATE TABLE markers (name TEXT NOT NULL)');
    return {
      driver: () => sqliteDriver({ filename }),
      insertMarker: async ({ sql }, name) => void (await sql.run('INSERT INTO markers (name) VALUES (?)', name)),
      deleteMarkers: async ({ sql }, name) => void (await sql.run('DELETE FROM markers WHERE name = ?', name)),
      countMarkers: async (name) => (direct.prepare('SELECT COUNT(*) AS n FROM markers WHERE name = ?').get(name) as { n: number }).n,
      teardown: async () => {
        direct.close();
        cleanup();
      },
    };
  },
};
