import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, ensureBuilt, mongock, parseJson, tempProject } from './cli-harness.ts';

function users(dir: string): string[] {
  const db = new Database(join(dir, 'app.db'), { readonly: true });
  try {
    return (db.prepare('SELECT name FROM users').all() as { name: string }[]).map((row) => row.name);
  } finally {
    db.close();
  }
}

beforeAll(() => ensureBuilt(), 240_000);

const CONFIG = `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';
export default defineConfig({
  driver: sqliteDriver({ filename: 'app.db' }),
  migrationScanPath: './migrations',
  lockConfig: { acquiredForMs: 60_000, tryFrequencyMs: 100, quitTryingAfterMs: 2_000 },
});
`;

const unit = (id: string, order: string, body: string, extra = '') => `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: '${id}', order: '${order}', author: 'dev',${extra}
  ${body}
});
`;

function files(): Record<string, string> {
  return {
    'package.json': '{ "type": "module" }',
    'mongock.config.mjs': CONFIG,
    'migrations/0001_create.mjs': unit(
      'create',
      '0001',
      `async execute({ sql }) { await sql.exec('CREATE TABLE users (name TEXT)'); },
  async rollback({ sql }) { await sql.exec('DROP TABLE users'); },`,
    ),
    'migrations/0002_seed.mjs': unit(
      'seed',
      '0002',
      `async execute({ sql }) {
    await sql.run("INSERT INTO users (name) VALUES ('ada')");
    if (process.env.CLI_TEST_CRASH === 'seed') process.kill(process.pid, 'SIGKILL');
    if (process.env.CLI_TEST_FAIL === 'seed') throw new Error('seed failed half-way');
  },
  async rollback() { if (process.env.CLI_TEST_FAIL === 'seed') throw new Error('seed rollback failed'); },`,
      " transactional: false, recovery: 'manual',",
    ),
    'migrations/0003_email.mjs': unit(
      'email',
      '0003',
      `async execute({ sql }) { await sql.exec('ALTER TABLE users ADD COLUMN email TEXT'); },
  async rollback({ sql }) { await sql.exec('ALTER TABLE users DROP COLUMN email'); },`,
    ),
    'migrations/0004_dev-data.mjs': unit('dev-data', '0004', 'execute() {}, rollback() {},', " profiles: ['dev'],"),
  };
}

describe('mongock mark, doctor, --step/--only (SQLite project, real binary)', () => {
  it('a manual unit stops the run with the mark commands; doctor blocks; mark resolves it; status shows filtered units', async () => {
    const dir = tempProject(files());
    const failed = await mongock(['migrate'], { cwd: dir, env: { CLI_TEST_FAIL: 'seed' } });
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toContain('ROLLBACK_FAILED');

    const stopped = await mongock(['migrate'], { cwd: dir });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('[MANUAL_RESOLUTION_REQUIRED]');
    expect(stopped.stderr).toContain('mongock mark seed --applied --reason');
    expect(stopped.stderr).toContain('mongock mark seed --rolled-back --reason');

    const doctor = await mongock(['doctor', '--json'], { cwd: dir });
    expect(doctor.code).toBe(1);
    const diagnosis = parseJson(doctor) as { ok: boolean; blocking: boolean; findings: { check: string; severity: string; changeId?: string }[] };
    expect(diagnosis).toMatchObject({ ok: false, blocking: true });
    expect(diagnosis.findings.filter((f) => f.severity === 'blocking').map((f) => [f.check, f.changeId])).toEqual([
      ['interrupted-change', 'seed'],
      ['failed-change', 'seed'],
    ]);
    expect(diagnosis.findings.find((f) => f.check === 'filtered-unit')?.changeId).toBe('dev-data');
    const readable = await mongock(['doctor'], { cwd: dir });
    expect(readable.stdout).toContain('✘ blocking [interrupted-change]');
    expect(readable.stdout).toContain('→ mongock mark seed --applied');

    const status = parseJson(await mongock(['status', '--json'], { cwd: dir })) as {
      counts: Record<string, number>;
      filtered: { changeId: string; reason: string; detail: string }[];
    };
    expect(status.counts).toMatchObject({ filtered: 1, ignored: 0, failed: 1 });
    expect(status.filtered).toEqual([expect.objectContaining({ changeId: 'dev-data', reason: 'profile' })]);
    const table = await mongock(['status'], { cwd: dir });
    expect(table.stdout).toMatch(/dev-data\s+dev\s+filtered\s+its profiles \[dev\] do not match the active profiles \[default\]/);

    const dry = parseJson(await mongock(['mark', 'seed', '--applied', '--dry-run', '--json'], { cwd: dir }));
    expect(dry).toMatchObject({ dryRun: true, marked: [{ changeId: 'seed', previousState: 'interrupted', state: 'EXECUTED' }] });
    const marked = await mongock(['mark', 'seed', '--applied', '--reason', 'row checked by hand', '--by', 'ci-bot', '--json'], { cwd: dir });
    expect(marked.code, marked.stderr).toBe(0);
    expect(parseJson(marked)).toMatchObject({ ok: true, by: 'ci-bot', reason: 'row checked by hand', marked: [{ changeId: 'seed', state: 'EXECUTED' }] });
    const healthy = await mongock(['doctor', '--json'], { cwd: dir });
    expect(healthy.code).toBe(0);

    const next = parseJson(await mongock(['migrate', '--json'], { cwd: dir }));
    expect(next).toMatchObject({ ok: true, executed: 1 });
    const after = parseJson(await mongock(['status', '--json'], { cwd: dir })) as { units: { changeId: string; state: string; manual: unknown }[] };
    expect(after.units.find((u) => u.changeId === 'seed')).toMatchObject({ state: 'executed', manual: { by: 'ci-bot', reason: 'row checked by hand' } });
  }, 120_000);

  it('a manual unit whose process was SIGKILLed mid-way: the next run stops naming the crash; mark --rolled-back lets it run again', async () => {
    const dir = tempProject(files());
    const crash = spawn(process.execPath, [CLI, 'migrate'], { cwd: dir, env: cleanEnv({ CLI_TEST_CRASH: 'seed' }), stdio: 'ignore' });
    expect(await new Promise((resolve) => crash.on('exit', (_code, signal) => resolve(signal)))).toBe('SIGKILL');
    expect(users(dir)).toEqual(['ada']);
    // The dead holder's lease may still run (another host would wait it out): wait up to the lease, then look.
    let stopped = await mongock(['migrate', '--json'], { cwd: dir, env: { MONGOCK_LOCK_QUIT_TRYING_AFTER_MS: '65000' }, timeoutMs: 90_000 });
    expect(parseJson(stopped)).toMatchObject({ ok: false, error: { code: 'MANUAL_RESOLUTION_REQUIRED', changeId: 'seed' } });
    expect((parseJson(stopped).error as { message: string }).message).toContain('it was interrupted: the process running it');
    expect(users(dir)).toEqual(['ada']);
    stopped = await mongock(['doctor', '--json'], { cwd: dir });
    expect(stopped.code).toBe(1);
    const marked = parseJson(await mongock(['mark', 'seed', '--rolled-back', '--reason', 'row removed by hand', '--json'], { cwd: dir }));
    expect(marked).toMatchObject({ marked: [{ changeId: 'seed', previousState: 'interrupted', state: 'ROLLED_BACK' }] });
    new Database(join(dir, 'app.db')).exec("DELETE FROM users WHERE name = 'ada'");
    const next = parseJson(await mongock(['migrate', '--json'], { cwd: dir }));
    expect(next).toMatchObject({ ok: true, executed: 2 });
    expect(users(dir)).toEqual(['ada']);
  }, 180_000);

  it('--step, --only and undo --step, each with --dry-run; bad combinations are usage errors', async () => {
    const dir = tempProject(files());
    const refused = await mongock(['migrate', '--only', 'email'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("ordered before it are pending ('create', 'seed')");
    const preview = parseJson(await mongock(['migrate', '--step', '2', '--dry-run', '--json'], { cwd: dir })) as { wouldRun: { changeId: string }[] };
    expect(preview.wouldRun.map((u) => u.changeId)).toEqual(['create', 'seed']);
    expect(parseJson(await mongock(['migrate', '--step', '2', '--json'], { cwd: dir }))).toMatchObject({ executed: 2 });
    expect(parseJson(await mongock(['migrate', '--only', 'email', '--json'], { cwd: dir }))).toMatchObject({ executed: 1 });
    const undoPreview = parseJson(await mongock(['undo', '--step', '2', '--dry-run', '--json'], { cwd: dir })) as { wouldRollBack: { changeId: string }[] };
    expect(undoPreview.wouldRollBack.map((u) => u.changeId)).toEqual(['email', 'seed']);
    expect(parseJson(await mongock(['undo', '--step', '1', '--json'], { cwd: dir }))).toMatchObject({ rolledBack: 1 });

    for (const args of [
      ['migrate', '--step', '0'],
      ['migrate', '--step', '1', '--only', 'email'],
      ['migrate', '--out-of-order'],
      ['undo', '--step', '1', '--last', '1'],
      ['mark', 'seed'],
      ['mark', '--all-pending', '--rolled-back'],
      ['mark', 'seed', '--all-pending', '--applied'],
    ]) {
      const run = await mongock(args, { cwd: dir });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain('--help');
    }
  }, 120_000);
});
