import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isBusy } from '../../src/drivers/sqlite/sqlite-lock.ts';

// CI once failed the 4-process multi-tenant SQLite test: a lock attempt with a short wait met
// SQLITE_BUSY_RECOVERY (another process rebuilding the WAL index) and threw it instead of retrying.
describe('sqlite: what counts as busy', () => {
  it('every extended busy or locked code is busy (the lock attempt retries); other errors are not', () => {
    const busy = ['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', 'SQLITE_LOCKED_SHAREDCACHE'];
    for (const code of busy) expect(isBusy(new Database.SqliteError('database is locked', code)), code).toBe(true);
    for (const code of ['SQLITE_ERROR', 'SQLITE_CORRUPT', 'SQLITE_READONLY']) expect(isBusy(new Database.SqliteError('x', code)), code).toBe(false);
    expect(isBusy(new Error('database is locked'))).toBe(false);
    expect(isBusy(null)).toBe(false);
  });

  it('a real write lock held by another connection is reported with a code isBusy knows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mongock-busy-'));
    const holder = new Database(join(dir, 'busy.db'));
    const other = new Database(join(dir, 'busy.db'), { timeout: 0 });
    try {
      holder.pragma('journal_mode = WAL');
      holder.exec('BEGIN IMMEDIATE');
      let caught: unknown;
      try {
        other.exec('BEGIN IMMEDIATE');
      } catch (error) {
        caught = error;
      }
      expect(isBusy(caught)).toBe(true);
      holder.exec('ROLLBACK');
    } finally {
      other.close();
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
