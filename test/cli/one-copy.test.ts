import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMongockError, MongockError } from '../../src/index.ts';
import { ensureBuilt, mongock, parseJson, ROOT, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

// A database the driver cannot open: a DRIVER_ERROR raised by the config's copy of mongock/sqlite.
const MISSING = '/nonexistent-mongock-dir/app.db';
const ESM_CONFIG = `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';

export default defineConfig({ driver: sqliteDriver({ filename: '${MISSING}' }), migrationScanPath: './migrations' });
`;
const CJS_CONFIG = `const { defineConfig } = require('mongock');
const { sqliteDriver } = require('mongock/sqlite');

module.exports = defineConfig({ driver: sqliteDriver({ filename: '${MISSING}' }), migrationScanPath: './migrations' });
`;
const CONFIGS: Record<string, string> = {
  // No "type": "module": tsx compiles this one to CommonJS, which requires the CommonJS build.
  'mongock.config.ts': ESM_CONFIG,
  'mongock.config.mts': ESM_CONFIG,
  'mongock.config.mjs': ESM_CONFIG,
  'mongock.config.cjs': CJS_CONFIG,
  'mongock.config.json': `${JSON.stringify({ driver: { type: 'sqlite', filename: MISSING }, migrationScanPath: './migrations' })}\n`,
};

/** A decorated unit compiled to CommonJS: its decorators come from the CommonJS copy, the runner is the ES module one. */
const DECORATED_CTS = `import { ChangeUnit, Execution, RollbackExecution } from 'mongock';

@ChangeUnit({ id: 'decorated', order: '0001', author: 'dev' })
export class Decorated {
  @Execution()
  async execute(): Promise<void> {}

  @RollbackExecution()
  async rollback(): Promise<void> {}
}
`;

const COMMANDS: readonly (readonly string[])[] = [['migrate'], ['undo', '--last', '1'], ['status'], ['validate', '--db'], ['unlock']];

describe('one copy of the library, whatever loads the config', () => {
  it('recognises a MongockError of the CommonJS build from ES module code, by brand', () => {
    const cjs = createRequire(import.meta.url)(join(ROOT, 'dist', 'index.cjs')) as { MongockError: typeof MongockError };
    expect(cjs.MongockError).not.toBe(MongockError);
    const foreign = new cjs.MongockError('DRIVER_ERROR', 'from the other copy');
    expect(isMongockError(foreign, 'DRIVER_ERROR')).toBe(true);
    expect(foreign instanceof MongockError).toBe(true);
    expect(new MongockError('LOCK_LOST', 'x') instanceof cjs.MongockError).toBe(true);
    expect(isMongockError(Object.assign(new Error('look-alike'), { name: 'MongockError', code: 'DRIVER_ERROR' }))).toBe(false);
  });

  it('every command x .ts .mts .mjs .cjs .json config x a driver error: the same one line, the same --json', async () => {
    const seen = new Map<string, { line: string; json: unknown }>();
    for (const [name, text] of Object.entries(CONFIGS)) {
      const dir = tempProject({
        'tsconfig.json': '{ "compilerOptions": { "experimentalDecorators": false } }',
        [name]: text,
        'migrations/0001_decorated.cts': DECORATED_CTS,
      });
      // Every command of one config at once: ten short processes.
      const runs = await Promise.all(
        COMMANDS.map(async (command) => ({
          command,
          plain: await mongock([...command], { cwd: dir }),
          json: await mongock([...command, '--json'], { cwd: dir }),
        })),
      );
      for (const { command, plain, json } of runs) {
        const label = `${command[0]} with ${name}`;
        expect(plain.code, label).toBe(1);
        expect(json.code, label).toBe(1);
        const lines = plain.stderr.trim().split('\n');
        expect(lines, label).toHaveLength(1);
        expect(lines[0], label).toMatch(/^error \[DRIVER_ERROR\] Cannot open SQLite database/);
        const document = parseJson(json);
        const error = document.error as { code: string; message: string };
        expect(error.code, label).toBe('DRIVER_ERROR');
        expect(error.message, label).not.toMatch(/MongockError|\n\s+at |Migration failed/);
        const previous = seen.get(command[0]!);
        if (previous === undefined) seen.set(command[0]!, { line: lines[0]!, json: document });
        else {
          expect(lines[0], label).toBe(previous.line);
          expect(document, label).toEqual(previous.json);
        }
      }
    }
    expect(seen.size).toBe(COMMANDS.length);
  }, 300_000);

  it('a unit decorated by the CommonJS copy loads in the running ES module copy (one decorator registry)', async () => {
    const dir = tempProject({ 'tsconfig.json': '{}', 'mongock.config.mjs': ESM_CONFIG, 'migrations/0001_decorated.cts': DECORATED_CTS });
    const validated = parseJson(await mongock(['validate', '--json'], { cwd: dir }));
    expect(validated).toMatchObject({ ok: true, units: [expect.objectContaining({ changeId: 'decorated' })] });
  });
});
