import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { MongockBuilder } from '../../src/runner/mongock-builder.ts';
import { docFiles } from '../support/doc-files.ts';

describe('docs/sql-units.md examples', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mongock-sql-docs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('run on SQLite as the page says, and undo through their rollback', async () => {
    const files = docFiles('sql-units.md');
    expect(files.map((file) => file.name)).toEqual(['002_add_email.sql', '001_create_users.sql']);
    for (const file of files) writeFileSync(join(dir, file.name), file.text);
    const filename = join(dir, 'app.db');
    const runner = () => new MongockBuilder().setDriver(sqliteDriver({ filename })).addMigrationScanPath(dir).setLogger(silentLogger).buildRunner();
    const result = await runner().execute();
    expect(result.items.map((item) => [item.changeId, item.outcome])).toEqual([
      ['001_create_users', 'executed'],
      ['002_add_email', 'executed'],
    ]);
    const db = new Database(filename);
    expect(db.prepare('SELECT name, email FROM users ORDER BY id').all()).toEqual([
      { name: 'ada', email: 'ada@example.com' },
      { name: "o'brien; jr", email: "o'brien; jr@example.com" },
    ]);
    const author = db.prepare(`SELECT author FROM mongockChangeLog WHERE change_id = '002_add_email'`).get();
    expect(author).toEqual({ author: 'ana' });
    db.close();
    // 002 has no rollback: undoing it says so; 001's rollback section drops the table.
    await expect(runner().undo({ last: 1 })).rejects.toThrow(/has no rollback: add a `-- mongock:rollback` section or a 002_add_email\.rollback\.sql file/);
  });
});
