import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, parseJson, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

const ESM_UNIT = `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: 'make-table', order: '001', author: 'js',
  async execute({ sql }) { await sql.exec('CREATE TABLE t (x INTEGER)'); },
  async rollback({ sql }) { await sql.exec('DROP TABLE t'); },
});
`;
const PROFILED_UNIT = `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: 'dev-only', order: '002', author: 'js', profiles: ['dev'],
  async execute() {}, async rollback() {},
});
`;
const CJS_UNIT = `const { defineChangeUnit } = require('mongock');
module.exports = defineChangeUnit({
  id: 'make-table', order: '001', author: 'cjs',
  async execute({ sql }) { await sql.exec('CREATE TABLE t (x INTEGER)'); },
  async rollback({ sql }) { await sql.exec('DROP TABLE t'); },
});
`;

describe('config files in every format', () => {
  it('plain JavaScript, ES modules (mongock.config.mjs), found upward from a subfolder; paths relative to the config', async () => {
    const dir = tempProject({
      'mongock.config.mjs':
        "import { defineConfig } from 'mongock';\nimport { sqliteDriver } from 'mongock/sqlite';\nexport default defineConfig({ driver: sqliteDriver({ filename: 'data/app.db' }), migrationScanPath: './migrations' });\n",
      'migrations/001_make-table.mjs': ESM_UNIT,
      'migrations/002_dev-only.mjs': PROFILED_UNIT,
      'data/.keep': '',
    });
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    const run = await mongock(['migrate', '--json'], { cwd: join(dir, 'src', 'deep') });
    expect(run.code).toBe(0);
    expect(parseJson(run)).toMatchObject({ ok: true, executed: 1 });
    const status = parseJson(await mongock(['status', '--json'], { cwd: dir }));
    expect(status.units).toEqual([expect.objectContaining({ changeId: 'make-table', state: 'executed' })]);

    // Profiles: MONGOCK_PROFILES, overridden by --profile.
    const byEnv = parseJson(await mongock(['status', '--json'], { cwd: dir, env: { MONGOCK_PROFILES: 'dev' } }));
    expect((byEnv.units as unknown[]).length).toBe(2);
    const byFlag = parseJson(await mongock(['status', '--json', '--profile', 'prod', '--profile', 'qa'], { cwd: dir, env: { MONGOCK_PROFILES: 'dev' } }));
    expect((byFlag.units as unknown[]).length).toBe(1);
    const disabled = parseJson(await mongock(['migrate', '--json'], { cwd: dir, env: { MONGOCK_ENABLED: 'false', MONGOCK_PROFILES: 'dev' } }));
    expect(disabled).toMatchObject({ ok: true, status: 'disabled', executed: 0 });
    const badEnv = await mongock(['status'], { cwd: dir, env: { MONGOCK_ENABLED: 'maybe' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('MONGOCK_ENABLED="maybe" must be true or false');
  });

  it('plain JavaScript, CommonJS (mongock.config.cjs with require), and --config / MONGOCK_CONFIG', async () => {
    const dir = tempProject({
      'package.json': '{ "name": "cjs-app" }',
      'config/mongock.config.cjs':
        "const { defineConfig } = require('mongock');\nconst { sqliteDriver } = require('mongock/sqlite');\nmodule.exports = defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: '../migrations' });\n",
      'migrations/001_make-table.js': CJS_UNIT,
    });
    const missing = await mongock(['status'], { cwd: dir });
    expect(missing.code).toBe(2);
    const viaFlag = parseJson(await mongock(['migrate', '--json', '--config', 'config/mongock.config.cjs'], { cwd: dir }));
    expect(viaFlag).toMatchObject({ ok: true, executed: 1, items: [expect.objectContaining({ changeId: 'make-table', author: 'cjs' })] });
    const viaEnv = parseJson(await mongock(['status', '--json'], { cwd: dir, env: { MONGOCK_CONFIG: 'config/mongock.config.cjs' } }));
    expect(viaEnv.units).toEqual([expect.objectContaining({ changeId: 'make-table', state: 'executed' })]);
  });

  it('JSON config naming its driver by type, with ${ENV} values', async () => {
    const dir = tempProject({
      'mongock.config.json': JSON.stringify({ driver: { type: 'sqlite', filename: '${DB_FILE}' }, migrationScanPath: './migrations' }),
      'package.json': '{ "type": "module" }',
      'migrations/001_make-table.js': ESM_UNIT,
    });
    const run = await mongock(['migrate', '--json'], { cwd: dir, env: { DB_FILE: 'json.db' } });
    expect(parseJson(run)).toMatchObject({ ok: true, executed: 1 });
    const unset = await mongock(['status'], { cwd: dir });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('environment variable DB_FILE is not set');
  });
});

describe('errors people make', () => {
  it('a missing config file: exit 2 and how to make one', async () => {
    const dir = tempProject();
    const run = await mongock(['migrate', '--json'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(parseJson(run)).toMatchObject({
      ok: false,
      exitCode: 2,
      error: { code: 'CONFIG', message: expect.stringContaining('No Mongock config file found') },
    });
    expect(run.stderr).toContain('mongock init');
  });

  it('a malformed config: syntax error, no export, an unknown option, a driver type that does not exist', async () => {
    const cases: [string, string, string][] = [
      ['mongock.config.ts', 'export default defineConfig({', 'Could not load config file'],
      ['mongock.config.mjs', 'export const x = 1;', 'does not export a configuration object'],
      ['mongock.config.json', '{ "driver": ', 'Could not load config file'],
      ['mongock.config.json', '{ "driver": { "type": "oracle" }, "migrationScanPath": "m" }', "driver type 'oracle' is unknown"],
      [
        'mongock.config.mjs',
        "import { sqliteDriver } from 'mongock/sqlite';\nexport default { driver: sqliteDriver({ filename: 'x.db' }), migrationScanPath: '.', lockTimeout: 5 };",
        "Unknown option 'lockTimeout'",
      ],
    ];
    for (const [name, content, expected] of cases) {
      const dir = tempProject({ [name]: content });
      const run = await mongock(['status', '--json'], { cwd: dir });
      expect(run.code, `${name}: ${content}`).toBe(2);
      expect(JSON.stringify(parseJson(run).error)).toContain(expected);
    }
  });

  it('an unknown command and a wrong flag: exit 2 with a pointer to --help', async () => {
    const dir = tempProject();
    const unknown = await mongock(['migrat'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command 'migrat'");
    expect(unknown.stderr).toContain('mongock --help');
    const flag = await mongock(['status', '--chek', '--json'], { cwd: dir });
    expect(flag.code).toBe(2);
    expect(parseJson(flag)).toMatchObject({ ok: false, error: { code: 'USAGE', message: "Unknown option '--chek'. Did you mean '--check'?" } });
    expect(flag.stderr).toContain('mongock status --help');
    const extra = await mongock(['migrate', 'now'], { cwd: dir });
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("Unexpected argument 'now'");
    const none = await mongock([], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Usage: mongock <command>');
  });

  it('never prints a connection string with its password', async () => {
    const dir = tempProject({
      'mongock.config.json': JSON.stringify({
        driver: { type: 'postgres', connectionString: 'postgres://app:Sup3rSecret@127.0.0.1:9/app' },
        migrationScanPath: '.',
      }),
    });
    for (const args of [
      ['status', '--verbose'],
      ['status', '--json'],
    ]) {
      const run = await mongock(args, { cwd: dir });
      expect(run.code).not.toBe(0);
      expect(run.stdout + run.stderr).not.toContain('Sup3rSecret');
    }
  });
});
