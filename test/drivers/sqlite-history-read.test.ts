import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';

// The history is read as raw rows (arrays, the fast form of better-sqlite3) and mapped by column
// name, not position: a table whose columns are in another order reads the same.

describe('SQLite: the history read maps columns by name', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('a history table with its columns in reverse order still proves the unit applied, and its entry reads whole', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    let runs = 0;
    const unit = defineChangeUnit<SqliteChangeContext>({
      id: 'reordered',
      order: '001',
      author: 'dev',
      execute: async () => {
        runs++;
      },
      rollback: async () => {},
    });
    const runner = () =>
      new MongockBuilder<SqliteChangeContext>()
        .setDriver(sqliteDriver({ filename: file.filename }))
        .addChangeUnits(unit)
        .setLogger(silentLogger)
        .buildRunner();
    expect((await runner().execute()).status).toBe('completed');

    const direct = new Database(file.filename);
    const columns = (direct.prepare('SELECT name FROM pragma_table_info(?)').all('mongockChangeLog') as { name: string }[]).map((c) => c.name);
    const reversed = [...columns].reverse().join(', ');
    direct.exec(
      `CREATE TABLE reordered AS SELECT ${reversed} FROM mongockChangeLog; DROP TABLE mongockChangeLog; ALTER TABLE reordered RENAME TO mongockChangeLog`,
    );
    const stored = direct.prepare('SELECT * FROM mongockChangeLog').get() as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual([...columns].reverse());
    direct.close();

    expect((await runner().execute()).status).toBe('up-to-date');
    expect(runs).toBe(1);
    const [status] = (await runner().status()).units;
    expect(status).toMatchObject({ changeId: 'reordered', author: 'dev', state: 'executed', changed: false, recordedChecksum: stored.checksum });
    expect(status?.executedAt?.toISOString()).toBe(stored.timestamp);
    expect(status?.executionHostname).toBe(stored.execution_hostname);
  });

  it('a database handed in whose statements have no raw() (a structural wrapper) reads its history as object rows', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    const real = new Database(file.filename);
    let objectReads = 0;
    // Only what the driver's SqliteDatabase type requires: statements without raw() or columns().
    const wrapper = {
      prepare(sql: string) {
        const statement = real.prepare(sql);
        return {
          run: (...params: unknown[]) => statement.run(...params),
          get: (...params: unknown[]) => statement.get(...params),
          all: (...params: unknown[]) => {
            if (/FROM "mongockChangeLog"/.test(sql)) objectReads++;
            return statement.all(...params);
          },
        };
      },
      exec: (sql: string) => real.exec(sql),
      pragma: (source: string, options?: { simple?: boolean }) => real.pragma(source, options),
      close: () => real.close(),
      get inTransaction() {
        return real.inTransaction;
      },
      memory: false,
      name: real.name,
    };
    let runs = 0;
    const unit = defineChangeUnit<SqliteChangeContext>({
      id: 'wrapped',
      order: '001',
      author: 'dev',
      execute: async () => void runs++,
      rollback: async () => {},
    });
    const runner = () =>
      new MongockBuilder<SqliteChangeContext>()
        .setDriver(sqliteDriver({ database: wrapper }))
        .addChangeUnits(unit)
        .setLogger(silentLogger)
        .buildRunner();
    expect((await runner().execute()).status).toBe('completed');
    expect((await runner().execute()).status).toBe('up-to-date');
    expect(runs).toBe(1);
    expect(objectReads).toBeGreaterThan(0);
    real.close();
  });
});
