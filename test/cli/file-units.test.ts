import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, parseJson, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

const CONFIG = `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';

export default defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
`;

describe('mongock create --sql / --declarative, and status shows the kind of file', () => {
  it('create --sql writes <order>_<name>.sql that loads, runs and shows as sql next to a code unit', async () => {
    const dir = tempProject({
      'tsconfig.json': '{}',
      'mongock.config.ts': CONFIG,
      'migrations/001_code.mjs': `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({ id: 'code', order: '001', author: 'dev',
  async execute({ sql }) { await sql.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)'); },
  async rollback({ sql }) { await sql.exec('DROP TABLE users'); } });
`,
    });
    const created = await mongock(['create', 'add email', '--sql', '--author', 'ana', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const json = parseJson(created);
    expect(json).toMatchObject({ ok: true, changeId: '002_add-email', order: '002', author: 'ana', kind: 'sql' });
    const file = join(dir, 'migrations', '002_add-email.sql');
    expect(json.file).toBe(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^-- mongock: author=ana\n/);
    expect(text).toContain('-- mongock:rollback');
    writeFileSync(
      file,
      text
        .replace('SELECT 1;', 'ALTER TABLE users ADD COLUMN email TEXT;')
        .replace(/-- mongock:rollback\n/, '-- mongock:rollback\nALTER TABLE users DROP COLUMN email;\n'),
    );
    const migrated = await mongock(['migrate', '--json'], { cwd: dir });
    expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
    const status = await mongock(['status', '--json'], { cwd: dir });
    expect((parseJson(status).units as { changeId: string; kind: string; state: string }[]).map((u) => [u.changeId, u.kind, u.state])).toEqual([
      ['code', 'code', 'executed'],
      ['002_add-email', 'sql', 'executed'],
    ]);
    const table = await mongock(['status'], { cwd: dir, env: { NO_COLOR: '1' } });
    expect(table.stdout).toMatch(/order\s+change\s+author\s+kind\s+state/);
    expect(table.stdout).toMatch(/002\s+002_add-email\s+ana\s+sql\s+executed/);
    expect(table.stdout).toMatch(/001\s+code\s+dev\s+code\s+executed/);
  });

  it('create --declarative writes a .json unit the loader accepts; --sql with --declarative or --lang is a usage error', async () => {
    const dir = tempProject({ 'tsconfig.json': '{}', 'mongock.config.ts': CONFIG });
    const created = await mongock(['create', 'users', '--declarative', '--json', '--order', '001'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    expect(parseJson(created)).toMatchObject({ changeId: '001_users', kind: 'declarative' });
    const unit = JSON.parse(readFileSync(join(dir, 'migrations', '001_users.json'), 'utf8'));
    expect(unit.changes).toEqual([{ createCollection: '001_users' }]);
    const validated = await mongock(['validate', '--json'], { cwd: dir });
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    const both = await mongock(['create', 'x', '--sql', '--declarative'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--sql and --declarative exclude each other/);
    const lang = await mongock(['create', 'x', '--sql', '--lang', 'ts'], { cwd: dir });
    expect(lang.code).toBe(2);
    expect(lang.stderr).toMatch(/--lang and --style are for code units/);
  });
});
