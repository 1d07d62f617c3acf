import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, ensureBuilt, mongock, parseJson, tempProject } from './cli-harness.ts';
import { sqliteProjectFiles } from './fixtures.ts';

beforeAll(() => ensureBuilt(), 240_000);

function userCount(dir: string): number | null {
  const db = new Database(join(dir, 'app.db'), { readonly: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'").get();
    return table === undefined ? null : (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

type Unit = { changeId: string; state: string; changed: boolean; order: string };

describe('mongock init and create (TypeScript project, not a TTY)', () => {
  it('init writes mongock.config.ts and migrations/, asking nothing; create scaffolds pending units with the next order', async () => {
    const dir = tempProject({ 'tsconfig.json': '{}' });
    const init = await mongock(['init', '--json'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(parseJson(init)).toMatchObject({ command: 'init', ok: true, driver: 'sqlite', format: 'ts' });
    expect(readFileSync(join(dir, 'mongock.config.ts'), 'utf8')).toContain("sqliteDriver({ filename: 'mongock.db' })");
    expect(existsSync(join(dir, 'migrations'))).toBe(true);

    const again = await mongock(['init'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');

    const first = parseJson(await mongock(['create', 'Add users', '--json', '--author', 'ada'], { cwd: dir }));
    expect(first).toMatchObject({ ok: true, changeId: 'add-users', order: '0001', author: 'ada', state: 'pending', style: 'decorator' });
    const second = await mongock(['create', 'seed-users', '--style', 'define'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Created migrations/0002_seed-users.ts');
    expect(second.stdout).toMatch(/pending\s+0002\s+seed-users/);
    expect(readdirSync(join(dir, 'migrations')).sort()).toEqual(['.gitkeep', '0001_add-users.ts', '0002_seed-users.ts']);

    const status = parseJson(await mongock(['status', '--json'], { cwd: dir }));
    expect((status.units as Unit[]).map((unit) => [unit.order, unit.changeId, unit.state])).toEqual([
      ['0001', 'add-users', 'pending'],
      ['0002', 'seed-users', 'pending'],
    ]);
    const migrated = await mongock(['migrate', '--json'], { cwd: dir });
    expect(parseJson(migrated)).toMatchObject({ ok: true, status: 'completed', executed: 2 });
  });

  it('create uses a user template from .mongock/templates/ and JavaScript (CommonJS) when asked', async () => {
    const dir = tempProject({
      'package.json': '{ "name": "js-app" }',
      'mongock.config.cjs':
        "const { defineConfig } = require('mongock');\nconst { sqliteDriver } = require('mongock/sqlite');\nmodule.exports = defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: 'db' });\n",
      'db/0041_old.cjs':
        "const { defineChangeUnit } = require('mongock');\nmodule.exports = defineChangeUnit({ id: 'old', order: '0041', author: 'x', execute() {}, rollback() {} });\n",
      '.mongock/templates/change-unit.cjs':
        "// house template\nconst { defineChangeUnit } = require('mongock');\nmodule.exports = defineChangeUnit({ id: '{{id}}', order: '{{order}}', author: '{{author}}', execute() {}, rollback() {} });\n",
    });
    const created = parseJson(await mongock(['create', 'next-one', '--json'], { cwd: dir }));
    expect(created).toMatchObject({ ok: true, order: '0042', language: 'js' });
    expect(readFileSync(join(dir, 'db', '0042_next-one.cjs'), 'utf8')).toMatch(/^\/\/ house template[\s\S]*order: '0042'/);
    const decorated = await mongock(['create', 'x', '--lang', 'js', '--style', 'decorator'], { cwd: dir });
    expect(decorated.code).toBe(2);
    expect(decorated.stderr).toContain('Decorators need TypeScript');
  });
});

describe('mongock migrate, status, undo, validate, unlock against SQLite', () => {
  it('runs every command with its exit code and --json document, checked against the data', async () => {
    const dir = tempProject(sqliteProjectFiles());

    const validate = await mongock(['validate', '--json'], { cwd: dir });
    expect(validate.code).toBe(0);
    expect(parseJson(validate)).toMatchObject({ ok: true, checksums: { compared: false } });
    expect(existsSync(join(dir, 'app.db'))).toBe(false); // validate without --db touches no database

    const gate = await mongock(['status', '--check'], { cwd: dir });
    expect(gate.code).toBe(4);
    expect(gate.stdout).toContain('3 change units: 0 executed, 3 pending, 0 failed.');

    const dry = await mongock(['migrate', '--dry-run', '--json'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect((parseJson(dry).wouldRun as Unit[]).map((unit) => unit.changeId)).toEqual(['create-users', 'seed-users', 'add-email']);
    expect(userCount(dir)).toBeNull(); // nothing changed
    const dryText = await mongock(['migrate', '--dry-run', '--to', 'seed-users'], { cwd: dir });
    expect(dryText.stdout).toMatch(/1\s+0001\s+create-users[\s\S]*2\s+0002\s+seed-users/);
    expect(dryText.stdout).not.toContain('add-email');

    const to = parseJson(await mongock(['migrate', '--to', 'seed-users', '--json'], { cwd: dir }));
    expect(to).toMatchObject({ ok: true, executed: 2 });
    expect(userCount(dir)).toBe(2);

    const plain = await mongock(['migrate'], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^lock acquired\nrunning add-email\nexecuted add-email \(\d+ ms\)\nMigration .*: 1 executed, 0 failed/m);
    expect(plain.stdout).not.toContain(String.fromCharCode(27)); // not a TTY: no escapes

    const nothing = await mongock(['migrate', '--json'], { cwd: dir });
    expect(parseJson(nothing)).toMatchObject({ ok: true, status: 'up-to-date', executed: 0 });

    const listed = await mongock(['list', '--check', '--json'], { cwd: dir });
    expect(listed.code).toBe(0);
    const status = parseJson(listed);
    expect(status.counts).toMatchObject({ total: 3, executed: 3, pending: 0, failed: 0, changed: 0 });
    expect(status.units).toEqual([
      expect.objectContaining({ changeId: 'create-users', state: 'executed', executedAt: expect.any(String), executionHostname: expect.any(String) }),
      expect.objectContaining({ changeId: 'seed-users', state: 'executed' }),
      expect.objectContaining({ changeId: 'add-email', state: 'executed' }),
    ]);
    expect(status.lock).toBeNull();

    const both = await mongock(['undo', '--last', '1', '--to', 'seed-users'], { cwd: dir });
    expect(both.code).toBe(2);
    expect((await mongock(['undo'], { cwd: dir })).code).toBe(2);
    expect((await mongock(['undo', '--last', 'two'], { cwd: dir })).code).toBe(2);

    const undo = await mongock(['undo', '--to', 'seed-users', '--json'], { cwd: dir });
    expect(undo.code).toBe(0);
    expect(parseJson(undo)).toMatchObject({ ok: true, rolledBack: 2 });
    expect(userCount(dir)).toBe(0);
    const afterUndo = parseJson(await mongock(['status', '--json'], { cwd: dir }));
    expect((afterUndo.units as Unit[]).map((unit) => unit.state)).toEqual(['executed', 'rolled-back', 'rolled-back']);
    expect((await mongock(['status', '--check', '--quiet'], { cwd: dir })).code).toBe(4);
    const missing = await mongock(['undo', '--to', 'no-such-unit', '--json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(parseJson(missing)).toMatchObject({ ok: false, error: { code: 'INVALID_CONFIG' } });

    // A failing unit: exit 1, its error in the JSON document, nothing left behind (transactional).
    const failed = await mongock(['migrate', '--json'], { cwd: dir, env: { CLI_TEST_FAIL: 'seed-users' } });
    expect(failed.code).toBe(1);
    expect(parseJson(failed)).toMatchObject({ ok: false, exitCode: 1, error: { code: 'CHANGE_FAILED', changeId: 'seed-users' } });
    expect(failed.stderr).toContain('seed-users failed on purpose');
    expect(userCount(dir)).toBe(0);
    expect((await mongock(['status', '--check'], { cwd: dir })).stdout).toMatch(/seed-users\s+dev\s+failed/);

    // A process killed while holding the lock: on this host its death is seen at once (its pid is
    // gone), so status reads the lease as over and a plain unlock clears it (no --force needed).
    const crash = spawn(process.execPath, [CLI, 'migrate'], { cwd: dir, env: cleanEnv({ CLI_TEST_CRASH: 'seed-users' }), stdio: 'ignore' });
    const signal = await new Promise((resolve) => crash.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    const held = await mongock(['status', '--json'], { cwd: dir });
    expect(parseJson(held).lock).toMatchObject({ expired: true, gone: true, hostname: expect.any(String) });
    const unlock = await mongock(['unlock', '--json'], { cwd: dir });
    expect(unlock.code).toBe(0);
    expect(parseJson(unlock)).toMatchObject({ ok: true, released: true, holder: { expired: true } });
    expect((await mongock(['unlock'], { cwd: dir })).stdout).toContain('No lock is held.');

    const finish = await mongock(['migrate', '--json'], { cwd: dir });
    expect(parseJson(finish)).toMatchObject({ ok: true, executed: 2 });
    expect(userCount(dir)).toBe(2);
    expect((await mongock(['status', '--check'], { cwd: dir })).code).toBe(0);
  }, 120_000);

  it('invalid change units are a usage error (exit 2) naming the file, before anything runs', async () => {
    const files = sqliteProjectFiles();
    const dir = tempProject({ ...files, 'migrations/0004_dup.ts': files['migrations/0003_add-email.ts']!.replace('class AddEmail', 'class AddEmailAgain') });
    for (const args of [['validate'], ['migrate'], ['status']]) {
      const run = await mongock([...args, '--json'], { cwd: dir });
      expect(run.code).toBe(2);
      const doc = parseJson(run);
      expect(doc).toMatchObject({ ok: false, error: { code: 'INVALID_CHANGE_UNIT' } });
      expect(JSON.stringify(doc)).toContain("'add-email'");
    }
    // Nothing was written: a migrate lists and digests the files, reads the history (which may
    // leave an empty database file) and only then imports the files it cannot prove applied.
    const database = join(dir, 'app.db');
    if (existsSync(database)) expect(statSync(database).size).toBe(0);
  });
});
