import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresDriver } from '../../src/drivers/postgres/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { type Finished, startScript, waitForOutput } from '../support/processes.ts';
import { POSTGRES_URL } from '../support/servers.ts';

const SCRIPT = 'test/e2e/processes/postgres-runner.ts';
const SETTINGS = { migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger };

interface Outcome {
  readonly result?: { status: string; executed: string[]; rolledBack: string[]; waited: boolean; warnings: string[] };
  readonly error?: { code: string; message: string };
}

function outcome(finished: Finished): Outcome {
  const line = finished.stdout.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('ERROR '));
  if (line === undefined) throw new Error(`child printed no outcome (code ${finished.code}, signal ${finished.signal}): ${finished.stderr}`);
  return line.startsWith('RESULT ') ? { result: JSON.parse(line.slice(7)) } : { error: JSON.parse(line.slice(6)) };
}

describe('PostgreSQL with real OS processes', () => {
  let db: PostgresTestSchema;
  let env: Record<string, string>;
  beforeEach(async () => {
    db = await createTestSchema('mongock_e2e');
    env = { PG_URL: POSTGRES_URL, PG_SCHEMA: db.schema };
    await db.admin.query(`CREATE TABLE ${db.table('markers')} (name text NOT NULL, pid integer NOT NULL)`);
  });
  afterEach(async () => {
    await db.drop();
  });

  const counts = async (): Promise<Record<string, number>> => {
    const { rows } = await db.admin.query(`SELECT name, count(*)::int AS n FROM ${db.table('markers')} GROUP BY name ORDER BY name`);
    return Object.fromEntries(rows.map((r: { name: string; n: number }) => [r.name, r.n]));
  };
  const tables = async (): Promise<string[]> =>
    (await db.admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [db.schema])).rows.map(
      (r: { table_name: string }) => r.table_name,
    );
  const history = async (): Promise<Array<{ change_id: string; state: string }>> =>
    (await db.admin.query(`SELECT change_id, state FROM ${db.table('mongock_change_log')} ORDER BY id`)).rows;
  const advisoryHolderPid = async (): Promise<number | null> => (await db.advisoryLocks()).find((l) => l.granted)?.pid ?? null;
  /** A runner in this process, for status and unlock (what `mongock status` / `unlock --force` call). */
  const runnerFor = () =>
    new MongockBuilder()
      .setDriver(postgresDriver({ connectionString: POSTGRES_URL, schema: db.schema }))
      .addChangeUnits(defineChangeUnit({ id: 'x', order: '1', author: 'e2e', execute: () => {}, rollback: () => {} }))
      .setLogger(silentLogger)
      .buildRunner();
  const until = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not reached in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('16 processes started at once on an empty schema apply each unit exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mongock-pg-gate-'));
    const gate = join(dir, 'go');
    try {
      const children = Array.from({ length: 16 }, (_, i) => startScript(SCRIPT, [], { ...env, PG_GATE: gate, PG_OWNER_HOST: `p${i}` }));
      // Every process has loaded before the gate opens, so that they all bootstrap together.
      await Promise.all(children.map((child) => waitForOutput(child, 'READY', 150_000)));
      const started = Date.now();
      writeFileSync(gate, '');
      const finished = await Promise.all(children.map((child) => child.finished));
      const elapsed = Date.now() - started;
      const outcomes = finished.map(outcome);
      for (const o of outcomes) expect(o.error, JSON.stringify(o.error)).toBeUndefined();
      const executed = outcomes.flatMap((o) => o.result!.executed);
      expect(executed.sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      // Side-effect counter: each unit's marker exists once, whatever the history says.
      expect(await counts()).toEqual({ m1: 1, m2: 1, m3: 1, m4: 1, m5: 1 });
      expect((await history()).map((h) => `${h.change_id}:${h.state}`)).toEqual(['m1:EXECUTED', 'm2:EXECUTED', 'm3:EXECUTED', 'm4:EXECUTED', 'm5:EXECUTED']);
      expect(await tables()).toEqual(['markers', 'mongock_change_log', 'mongock_lock']);
      expect(await db.advisoryLocks()).toEqual([]);
      // They really contended: some found the lock taken and waited for it.
      const waited = outcomes.filter((o) => o.result!.waited).length;
      expect(waited).toBeGreaterThan(0);
      const appliers = outcomes.filter((o) => o.result!.executed.length > 0).length;
      console.info(
        `[postgres e2e] 16 processes, 5 units: all done ${elapsed} ms after the gate opened; ${appliers} applied units, ${waited} waited for the lock`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('SIGKILL of the holder in the middle of a unit: no partial writes, and a rerun completes', async () => {
    const victim = startScript(SCRIPT, [], { ...env, PG_SCENARIO: 'crash', PG_HANG: 'forever' });
    await waitForOutput(victim, 'IN_UNIT');
    // The unit has created a table and inserted three markers in its open transaction.
    victim.kill('SIGKILL');
    expect((await victim.finished).signal).toBe('SIGKILL');
    // The server ends the dead client's session, and with it the transaction and the advisory lock.
    await until(async () => (await db.advisoryLocks()).length === 0);
    expect(await counts()).toEqual({});
    expect(await tables()).toEqual(['markers', 'mongock_change_log', 'mongock_lock']);
    expect(await history()).toEqual([]);

    const rerun = outcome(await startScript(SCRIPT, [], { ...env, PG_SCENARIO: 'crash' }).finished);
    // No lease to wait out: the lock died with the session, so the rerun never waited for it (a
    // wall-time bound here failed on a loaded machine, where starting the process alone took 12 s).
    expect(rerun.result).toMatchObject({ status: 'completed', executed: ['multi', 'after'], waited: false });
    expect(await counts()).toEqual({ after: 1, multi: 3 });
    expect(await tables()).toContain('made_by_multi');
  }, 60_000);

  for (const hang of ['sql', 'js'] as const) {
    it(`pg_terminate_backend of the holder's connection (${hang === 'sql' ? 'during a query' : 'between queries'}) stops the run with LOCK_LOST; a rerun completes`, async () => {
      const victim = startScript(SCRIPT, [], { ...env, PG_SCENARIO: 'crash', PG_HANG: hang });
      const unitPid = Number((await waitForMatch(victim, /IN_UNIT (\d+)\n/))[1]);
      // The unit runs on the very session that holds the advisory lock.
      expect(await advisoryHolderPid()).toBe(unitPid);
      await db.admin.query('SELECT pg_terminate_backend($1)', [unitPid]);
      const finished = await victim.finished;
      const stopped = outcome(finished);
      expect(stopped.error?.code, finished.stdout + finished.stderr).toBe('LOCK_LOST');
      expect(stopped.error?.message).toMatch(/terminating connection due to administrator command/);
      expect(finished.code).toBe(2);
      expect(await counts()).toEqual({});
      expect(await history()).toEqual([]);

      const rerun = outcome(await startScript(SCRIPT, [], { ...env, PG_SCENARIO: 'crash' }).finished);
      expect(rerun.result).toMatchObject({ status: 'completed', executed: ['multi', 'after'] });
      expect(await counts()).toEqual({ after: 1, multi: 3 });
    }, 60_000);
  }

  /** Kills a run inside the non-transactional unit after its one marker; returns the dead run's executionId and pid. */
  async function killInNontx(): Promise<{ executionId: string; pid: number }> {
    const victim = startScript(SCRIPT, [], { ...env, PG_SCENARIO: 'nontx', PG_HANG: 'forever' });
    await waitForOutput(victim, 'IN_UNIT');
    victim.kill('SIGKILL');
    const killed = await victim.finished;
    expect(killed.signal).toBe('SIGKILL');
    expect(await counts()).toEqual({ nontx: 1 }); // no transaction: what it wrote stays
    expect(await markerPids()).toEqual([victim.pid]);
    return { executionId: /^EXECUTION (\S+)$/m.exec(killed.stdout)![1]!, pid: victim.pid! };
  }
  const markerPids = async (): Promise<number[]> =>
    (await db.admin.query(`SELECT pid FROM ${db.table('markers')} ORDER BY pid`)).rows.map((r: { pid: number }) => r.pid);
  const entries = async (): Promise<Array<{ change_id: string; state: string; execution_id: string; error_trace: string | null }>> =>
    (await db.admin.query(`SELECT change_id, state, execution_id, error_trace FROM ${db.table('mongock_change_log')} ORDER BY "timestamp", state DESC`)).rows;

  it('SIGKILL in a non-transactional unit: by default the next run rolls it back (ROLLED_BACK under the dead execution) and applies it again', async () => {
    const dead = await killInNontx();
    const next = startScript(SCRIPT, [], { ...env, PG_SCENARIO: 'nontx' });
    const recovered = outcome(await next.finished);
    expect(recovered.result).toMatchObject({ status: 'completed', rolledBack: ['nontx'], executed: ['nontx'] });
    expect(recovered.result!.warnings.filter((w) => w.includes("Change 'nontx' by 'e2e' was interrupted"))).toHaveLength(1);
    // The side-effect counter: the dead run's marker was removed by the rollback; the one left is the re-run's.
    expect(await counts()).toEqual({ nontx: 1 });
    expect(await markerPids()).toEqual([next.pid]);
    const recorded = await entries();
    expect(recorded.map((e) => [e.change_id, e.state, e.execution_id === dead.executionId])).toEqual([
      ['nontx', 'ROLLED_BACK', true],
      ['nontx', 'EXECUTED', false],
    ]);
    expect(recorded[0]!.error_trace).toContain('interrupted');
    const status = await runnerFor().status();
    expect(status.lock?.inProgress ?? null).toBeNull();
  }, 60_000);

  it("SIGKILL in a non-transactional unit with onInterruptedChange 'fail' is reported as CHANGE_INTERRUPTED until `unlock --force`", async () => {
    await killInNontx();
    const failing = { ...env, PG_SCENARIO: 'nontx', MONGOCK_TEST_ON_INTERRUPTED: 'fail' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = outcome(await startScript(SCRIPT, [], failing).finished);
      expect(refused.error?.code).toBe('CHANGE_INTERRUPTED');
      expect(refused.error?.message).toContain('nontx');
      expect(await counts()).toEqual({ nontx: 1 });
    }
    expect(await history()).toEqual([]);

    const unlock = await runnerFor().unlock({ force: true });
    expect(unlock.holder?.inProgress?.changeId).toBe('nontx');
    expect(unlock.released).toBe(true);
    await db.admin.query(`DELETE FROM ${db.table('markers')}`); // the operator repaired the half-applied change
    const rerun = outcome(await startScript(SCRIPT, [], failing).finished);
    expect(rerun.result).toMatchObject({ status: 'completed', executed: ['nontx'], rolledBack: [] });
    expect(await counts()).toEqual({ nontx: 1 });
  }, 60_000);

  it('a waiter that gives up names the holder and leaves nothing in pg_locks', async () => {
    const holder = await postgresDriver({ connectionString: POSTGRES_URL, schema: db.schema }).connect(SETTINGS);
    try {
      const attempt = await holder.lock.tryAcquire({ owner: 'holder-runner', leaseMs: 1_000, hostname: 'holder-host', onLost: () => {} });
      expect(attempt.acquired).toBe(true);
      const holderPid = await advisoryHolderPid();
      const waiter = startScript(SCRIPT, [], { ...env, PG_QUIT_AFTER_MS: '1500' });
      const seen: Array<{ pid: number; granted: boolean }> = [];
      let done = false;
      const watching = (async () => {
        while (!done) {
          seen.push(...(await db.advisoryLocks()));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      const started = Date.now();
      const finished = await waiter.finished;
      done = true;
      await watching;
      const gaveUp = outcome(finished);
      expect(gaveUp.error?.code).toBe('LOCK_NOT_ACQUIRED');
      expect(gaveUp.error?.message).toMatch(/held by holder-runner on holder-host since \d{4}-\d\d-\d\dT/);
      // Its 1.5 s budget held: with the default 60 s one the waiter would still be waiting when
      // this test times out. No wall-time bound here: starting the process alone took 12 s at load 50.
      console.info(`[postgres e2e] a waiter with a 1.5 s budget gave up ${Date.now() - started} ms after it was started`);
      // While it waited, and after: only the holder's granted lock; no queued request ever.
      expect(seen.length).toBeGreaterThan(10);
      expect(seen.filter((l) => !l.granted || l.pid !== holderPid)).toEqual([]);
      expect(await db.advisoryLocks()).toEqual([{ pid: holderPid, granted: true }]);
      if (attempt.acquired) expect(await holder.lock.release(attempt.lease)).toBe(true);
      expect(await db.advisoryLocks()).toEqual([]);
    } finally {
      await holder.close();
    }
    expect(await counts()).toEqual({});
  }, 60_000);
});

/** Resolves with the first match of `pattern` in the child's stdout. */
function waitForMatch(child: { stdout: NodeJS.ReadableStream | null }, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got: ${seen}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}
