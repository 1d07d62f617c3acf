import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, ensureBuilt, mongock, tempProject } from '../cli/cli-harness.ts';

// Issue 18 through the real `mongock` binary on SQLite: a hung unit never passes for a finished
// run (point 2), the execution timeout fails it, rolls it back and frees the lock (point 2), a
// recovery is reported as one with exit 0 (point 10), bad options exit 2 (points 3 and 5), a file
// exporting no unit is named (point 6), a history table of the wrong shape is a coded error naming
// it without a stack (point 7), and the message after ROLLBACK_FAILED says what happened (point 9).

const config = (extra = '') => `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';
export default defineConfig({
  driver: sqliteDriver({ filename: 'app.db' }),
  migrationScanPath: './migrations',
  lockConfig: { acquiredForMs: 60_000, tryFrequencyMs: 100, quitTryingAfterMs: 2_000 },
  ${extra}
});
`;

/** A unit writing `rows` rows; `mode` makes it hang or fail (and its rollback fail). */
const unit = (id: string, order: string, options: { transactional?: boolean; body?: string; rollback?: string; timeoutMs?: number } = {}) => `
import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: '${id}', order: '${order}', author: 'dev',
  ${options.transactional === undefined ? '' : `transactional: ${options.transactional},`}
  ${options.timeoutMs === undefined ? '' : `timeoutMs: ${options.timeoutMs},`}
  async execute({ sql }) {
    await sql.exec('CREATE TABLE IF NOT EXISTS effects (unit TEXT NOT NULL)');
    for (let i = 0; i < 5; i++) await sql.run('INSERT INTO effects (unit) VALUES (?)', '${id}');
    ${options.body ?? ''}
  },
  async rollback({ sql }) {
    ${options.rollback ?? `await sql.run("DELETE FROM effects WHERE unit = ?", '${id}');`}
  },
});
`;

const HANG = 'await new Promise(() => {});';

function effects(dir: string): Record<string, number> {
  const db = new Database(join(dir, 'app.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT unit, COUNT(*) AS n FROM effects GROUP BY unit').all() as { unit: string; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.unit, row.n]));
  } finally {
    db.close();
  }
}

describe('mongock CLI under hostile conditions (SQLite, real processes)', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('a unit whose promise never settles: migrate exits 1 with RUN_UNFINISHED, never 0', async () => {
    const dir = tempProject({ 'mongock.config.mjs': config(), 'migrations/001-hang.mjs': unit('hang', '001', { transactional: false, body: HANG }) });
    const run = await mongock(['migrate'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[RUN_UNFINISHED]');
  });

  it('executionTimeoutMs fails a hung unit with CHANGE_TIMEOUT, rolls it back and releases the lock; a fixed unit then applies at once', async () => {
    const dir = tempProject({
      'mongock.config.mjs': config('executionTimeoutMs: 1_500,'),
      'migrations/001-first.mjs': unit('first', '001'),
      'migrations/002-hang-tx.mjs': unit('hang-tx', '002', { body: HANG }),
    });
    const run = await mongock(['migrate', '--json'], { cwd: dir });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { error: { code: string; message: string; changeId: string } };
    expect(result.error).toMatchObject({ code: 'CHANGE_TIMEOUT', changeId: 'hang-tx' });
    expect(result.error.message).toContain('did not finish within 1500 ms');
    expect(effects(dir)).toEqual({ first: 5 }); // the transaction of hang-tx was rolled back

    // A unit's own timeoutMs wins; outside a transaction its rollback method runs.
    const plain = tempProject({
      'mongock.config.mjs': config(),
      'migrations/001-hang.mjs': unit('hang', '001', { transactional: false, timeoutMs: 1_000, body: HANG }),
    });
    const timedOut = await mongock(['migrate', '--json'], { cwd: plain });
    expect((JSON.parse(timedOut.stdout) as { error: { code: string } }).error.code).toBe('CHANGE_TIMEOUT');
    expect(effects(plain)).toEqual({});
    const status = JSON.parse((await mongock(['status', '--json'], { cwd: plain })).stdout) as { lock: unknown; units: { state: string }[] };
    expect(status.lock).toBeNull(); // released: the next run does not wait for a lease
    expect(status.units.map((u) => u.state)).toEqual(['rolled-back']);
  });

  it('after a SIGKILL in a non-transactional unit, the recovering migrate reports a recovery and exits 0', async () => {
    const dir = tempProject({
      'mongock.config.mjs': config(),
      'migrations/001-first.mjs': unit('first', '001'),
      'migrations/002-plain.mjs': unit('plain', '002', {
        transactional: false,
        body: "if (process.env.HANG === '1') { console.error('MIDWAY'); await new Promise(() => {}); }",
      }),
    });
    const victim = spawn(process.execPath, [CLI, 'migrate'], { cwd: dir, env: cleanEnv({ HANG: '1' }), stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((resolve) => victim.on('close', resolve));
    await new Promise<void>((resolve) => victim.stderr!.on('data', (chunk: Buffer) => chunk.includes('MIDWAY') && resolve()));
    victim.kill('SIGKILL');
    await exited;
    const rerun = await mongock(['migrate', '--json'], { cwd: dir });
    const result = JSON.parse(rerun.stdout) as { ok: boolean; failed: number; recovered: number; items: { changeId: string; outcome: string }[] };
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(result).toMatchObject({ ok: true, failed: 0, recovered: 1 });
    expect(result.items.filter((item) => item.changeId === 'plain').map((item) => item.outcome)).toEqual(['recovered', 'executed']);
    expect(effects(dir)).toEqual({ first: 5, plain: 5 });
  });

  it.each([
    ['migrationScanPath: 42', "Option 'migrationScanPath' must be a string or an array of strings; got 42"],
    ['changeUnits: 5', "Option 'changeUnits' must be an array; got 5"],
    ["dependencies: 'db'", "Option 'dependencies' must be an object; got 'db'"],
    ['lockConfig: { acquiredForMs: 2 ** 31 }', "Option 'lockConfig.acquiredForMs' must be a whole number of milliseconds from 3000 to 2147483647"],
    ['lockConfig: { tryFrequencyMs: 1e12 }', "Option 'lockConfig.tryFrequencyMs' must be a whole number"],
    ['executionTimeoutMs: -1', "Option 'executionTimeoutMs' must be a whole number of milliseconds from 0"],
  ])('bad option %s: exit 2, a coded message, nothing run', async (option, message) => {
    const dir = tempProject({ 'mongock.config.mjs': config(`${option},`), 'migrations/001-first.mjs': unit('first', '001') });
    const run = await mongock(['migrate', '--json'], { cwd: dir });
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(result.error.code).toBe('INVALID_CONFIG');
    expect(result.error.message).toContain(message);
    expect(result.error.message).not.toMatch(/\n\s+at /);
  });

  it('a scan-path file exporting no change unit is named in a warning, or refused with onFileWithoutUnits: fail', async () => {
    const files = {
      'migrations/001-first.mjs': unit('first', '001'),
      'migrations/002-plain-object.mjs': "export default { id: 'oops', order: '002', execute() {} };\n",
    };
    const warned = tempProject({ 'mongock.config.mjs': config(), ...files });
    const run = await mongock(['migrate'], { cwd: warned });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/002-plain-object\.mjs is in a scan path but exports no change unit/);
    const strict = tempProject({ 'mongock.config.mjs': config("onFileWithoutUnits: 'fail',"), ...files });
    const refused = await mongock(['migrate', '--json'], { cwd: strict });
    expect(refused.code).toBe(2);
    expect((JSON.parse(refused.stdout) as { error: { code: string; message: string } }).error.message).toMatch(/002-plain-object\.mjs/);
  });

  it('a history table of the wrong shape: migrate, status and undo fail with DRIVER_ERROR naming it, no stack in the message; unlock still works', async () => {
    const dir = tempProject({ 'mongock.config.mjs': config(), 'migrations/001-first.mjs': unit('first', '001') });
    const db = new Database(join(dir, 'app.db'));
    db.exec('CREATE TABLE mongockChangeLog (id INTEGER PRIMARY KEY, note TEXT)');
    db.exec("INSERT INTO mongockChangeLog (note) VALUES ('hand-made')");
    db.close();
    for (const command of ['migrate', 'status', 'undo --last 1']) {
      const run = await mongock([...command.split(' '), '--json'], { cwd: dir });
      expect(run.code, command).toBe(1);
      const error = (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
      expect(error.code, command).toMatch(/^(DRIVER_ERROR|CORRUPT_RECORD)$/);
      expect(error.message, command).toContain('mongockChangeLog');
      expect(error.message, command).not.toMatch(/\n\s+at /);
    }
    expect((await mongock(['status', '--verbose'], { cwd: dir })).stderr).toMatch(/\n\s+at /); // --verbose shows the stack
    expect((await mongock(['unlock', '--force'], { cwd: dir })).code).toBe(0); // the lock store is fine: unlock works
  });

  it("after ROLLBACK_FAILED, CHANGE_INTERRUPTED says the run recorded it (onInterruptedChange: 'fail')", async () => {
    const dir = tempProject({
      'mongock.config.mjs': config("onInterruptedChange: 'fail',"),
      'migrations/001-broken.mjs': unit('broken', '001', {
        transactional: false,
        body: "throw new Error('boom');",
        rollback: "throw new Error('rollback boom');",
      }),
    });
    const first = await mongock(['migrate', '--json'], { cwd: dir });
    expect((JSON.parse(first.stdout) as { error: { code: string } }).error.code).toBe('ROLLBACK_FAILED');
    const second = await mongock(['migrate', '--json'], { cwd: dir });
    const error = (JSON.parse(second.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('CHANGE_INTERRUPTED');
    expect(error.message).toContain('recorded ROLLBACK_FAILED');
    expect(error.message).not.toContain('stopped before recording it');
  });
});
