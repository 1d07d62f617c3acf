import { beforeAll, describe, expect, it } from 'vitest';
import { closest } from '../../src/runtime/did-you-mean.ts';
import { ensureBuilt, mongock, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

const CONFIG = `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';
export default defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
`;
const UNIT = `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({ id: 'a', order: '0001', author: 'x', async execute() {}, async rollback() {} });
`;

describe('usage errors in the CLI’s own words', () => {
  it('suggests the closest command or flag, and nothing when nothing is close', () => {
    expect(closest('migrat', ['init', 'migrate', 'undo'])).toBe('migrate');
    expect(closest('dryrun', ['dry-run', 'to'])).toBe('dry-run');
    expect(closest('xyz', ['init', 'migrate'])).toBeUndefined();
  });

  it('an unknown command, an unknown flag and a flag without its value: exit 2, a hint, no parser jargon', async () => {
    const dir = tempProject({ 'mongock.config.mjs': CONFIG, 'migrations/0001_a.mjs': UNIT });
    const command = await mongock(['migrat'], { cwd: dir });
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("Unknown command 'migrat'. Did you mean 'migrate'?");
    const flag = await mongock(['migrate', '--dryrun'], { cwd: dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--dryrun'. Did you mean '--dry-run'?");
    const missing = await mongock(['undo', '--last'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--last needs a value: --last <n>.');
    expect(missing.stderr).not.toContain('argument missing');
  });

  it('an unknown --to id is a usage error (exit 2) for migrate and undo alike', async () => {
    const dir = tempProject({ 'mongock.config.mjs': CONFIG, 'migrations/0001_a.mjs': UNIT });
    expect((await mongock(['migrate', '-q'], { cwd: dir })).code).toBe(0);
    const migrate = await mongock(['migrate', '--to', 'nope'], { cwd: dir });
    const undo = await mongock(['undo', '--to', 'nope'], { cwd: dir });
    expect([migrate.code, undo.code]).toEqual([2, 2]);
    expect(undo.stderr).toContain("Cannot undo to 'nope': no executed change unit has that id.");
  });
});

describe('mistakes in the project, located', () => {
  it('an unknown config key names the key meant', async () => {
    const config = CONFIG.replace("migrationScanPath: './migrations'", "migrationScanPath: './migrations', trackIgnore: true");
    const dir = tempProject({ 'mongock.config.mjs': config, 'migrations/0001_a.mjs': UNIT });
    const run = await mongock(['validate'], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("Unknown option 'trackIgnore'. Did you mean 'trackIgnored'?");
  });

  it('a syntax error in a .mjs or .cjs unit is reported at file:line:col, as a .ts one is', async () => {
    const units = {
      'migrations/0001_broken.mjs':
        "import { defineChangeUnit } from 'mongock';\nexport default defineChangeUnit({\n\tid: 'x', order: '0001',\n\texecute() { return 1 +; },\n});\n",
      'migrations/0002_broken.cjs': 'module.exports = {\n  id: 1 +,\n};\n',
    };
    for (const [file, at, token] of [
      ['migrations/0001_broken.mjs', '4:24', ';'],
      ['migrations/0002_broken.cjs', '2:10', ','],
    ] as const) {
      const dir = tempProject({ 'mongock.config.mjs': CONFIG, [file]: units[file] });
      const run = await mongock(['validate'], { cwd: dir });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`${file}:${at}: Unexpected token '${token}'.`);
    }
  });
});
