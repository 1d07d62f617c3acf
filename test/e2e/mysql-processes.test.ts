import { afterEach, describe, expect, it } from 'vitest';
import { mysqlDriver } from '../../src/drivers/mysql/index.ts';
import { silentLogger } from '../../src/index.ts';
import { createTestDatabase, type MysqlTestDatabase } from '../support/mysql-harness.ts';
import { type Finished, startScript, waitForOutput } from '../support/processes.ts';

const SCRIPT = 'test/e2e/processes/mysql-runner.ts';
const ALL = ['create-markers', 'u1', 'u2', 'u3', 'u4'];
const DATA = ['u1', 'u2', 'u3', 'u4'];
const ROWS = 20;
const FULL = Object.fromEntries(DATA.map((id) => [id, ROWS]));

/** The child's last stdout line (its JSON verdict). */
function verdict(finished: Finished): Record<string, unknown> {
  return JSON.parse(finished.stdout.trim().split('\n').pop()!);
}

describe('MySQL/MariaDB with real OS processes', () => {
  let db: MysqlTestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  async function countMarkers(): Promise<Record<string, number>> {
    const rows = await db!.rows<{ name: string; n: number }>(`SELECT name, COUNT(*) AS n FROM ${db!.table('markers')} GROUP BY name`);
    return Object.fromEntries(rows.map((row) => [row.name, Number(row.n)]));
  }

  async function executedEntries(): Promise<string[]> {
    const rows = await db!.rows<{ change_id: string }>(`SELECT change_id FROM ${db!.table('mongock_change_log')} WHERE state = 'EXECUTED' ORDER BY change_id`);
    return rows.map((row) => row.change_id);
  }

  it('16 processes started at once on an empty database apply each unit exactly once', async () => {
    db = await createTestDatabase();
    const started = Date.now();
    const children = Array.from({ length: 16 }, () => startScript(SCRIPT, [db!.uri]));
    const results = await Promise.all(children.map((child) => child.finished));
    const elapsed = Date.now() - started;
    for (const result of results) expect(result, result.stderr + result.stdout).toMatchObject({ code: 0 });
    // Side-effect counter: each unit wrote its rows once (and create-markers has no IF NOT EXISTS).
    expect(await countMarkers()).toEqual(FULL);
    const applied = results.flatMap((result) => verdict(result).executed as string[]);
    expect(applied.sort()).toEqual([...ALL].sort());
    expect(await executedEntries()).toEqual([...ALL].sort());
    // Every process bootstrapped the same empty database: the tables exist once and nobody failed on "already exists".
    const tables = await db.rows<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [db.database]);
    expect(tables.map((t) => t.name)).toEqual(['markers', 'mongock_change_log', 'mongock_lock', 'widgets']);
    expect(await db.lockHolder()).toBeNull();
    console.info(`16 processes on an empty MariaDB database: ${elapsed} ms until all exited`);
  }, 180_000);

  it("the holder's connection KILLed from the server stops the run with LOCK_LOST; a rerun completes", async () => {
    db = await createTestDatabase();
    const victim = startScript(SCRIPT, [db.uri, 'wait-in=u2']);
    await waitForOutput(victim, 'WAITING');
    const holder = await db.lockHolder();
    expect(holder).not.toBeNull();
    const [row] = await db.rows<{ connection_id: number; owner: string }>(`SELECT connection_id, owner FROM ${db.table('mongock_lock')}`);
    expect(Number(row!.connection_id)).toBe(holder);
    const killedAt = Date.now();
    await db.admin.query(`KILL ${holder}`);
    const killed = await victim.finished;
    const reaction = Date.now() - killedAt;
    expect(killed.code).toBe(1);
    expect(verdict(killed)).toMatchObject({ error: 'LOCK_LOST' });
    // u2's transaction died with its connection: none of its rows, no entry; u1 stays committed.
    expect(await countMarkers()).toEqual({ u1: ROWS });
    expect(await executedEntries()).toEqual(['create-markers', 'u1']);
    expect(await db.lockFreed()).toBeNull();

    const rerun = await startScript(SCRIPT, [db.uri]).finished;
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(verdict(rerun).executed).toEqual(['u2', 'u3', 'u4']);
    expect(await countMarkers()).toEqual(FULL);
    console.info(`KILL of the lock's connection: the run stopped ${reaction} ms later`);
  }, 120_000);

  /** Kills a run halfway through u3 (non-transactional); returns the dead run's executionId and pid. */
  async function killMidU3(): Promise<{ executionId: string; pid: number }> {
    db = await createTestDatabase();
    const victim = startScript(SCRIPT, [db.uri, 'hang-in=u3']);
    await waitForOutput(victim, 'MIDWAY');
    victim.kill('SIGKILL');
    const killed = await victim.finished;
    expect(killed.signal).toBe('SIGKILL');
    // u3 runs outside a transaction: its first half is in the database.
    expect(await countMarkers()).toEqual({ u1: ROWS, u2: ROWS, u3: ROWS / 2 });
    const executionId = /^EXECUTION (\S+)$/m.exec(killed.stdout)![1]!;
    // status (lock.inspect) shows the marker without taking the lock.
    const reader = await mysqlDriver({ uri: db.uri }).connect({
      migrationRepositoryName: 'mongockChangeLog',
      lockRepositoryName: 'mongockLock',
      logger: silentLogger,
    });
    try {
      expect(await reader.lock.inspect()).toMatchObject({ expired: true, inProgress: { changeId: 'u3', author: 'e2e', executionId } });
    } finally {
      await reader.close();
    }
    return { executionId, pid: victim.pid! };
  }

  const u3Pids = async (): Promise<number[]> =>
    (await db!.rows<{ pid: number }>(`SELECT DISTINCT pid FROM ${db!.table('markers')} WHERE name = 'u3'`)).map((row) => Number(row.pid));

  it('SIGKILL in the middle of a non-transactional unit: by default the next run rolls it back (ROLLED_BACK under the dead execution), applies it again and finishes', async () => {
    const dead = await killMidU3();
    const next = startScript(SCRIPT, [db!.uri]);
    const recovered = await next.finished;
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);
    expect(verdict(recovered)).toMatchObject({ status: 'completed', rolledBack: ['u3'], executed: ['u3', 'u4'] });
    expect((verdict(recovered).warnings as string[]).filter((w) => w.includes("Change 'u3' by 'e2e' was interrupted"))).toHaveLength(1);
    // The side-effect counter: every unit's rows exactly once; u3's are all the re-run's (the rollback removed the dead run's half).
    expect(await countMarkers()).toEqual(FULL);
    expect(await u3Pids()).toEqual([next.pid]);
    const u3 = await db!.rows<{ state: string; execution_id: string; error_trace: string | null }>(
      `SELECT state, execution_id, error_trace FROM ${db!.table('mongock_change_log')} WHERE change_id = 'u3' ORDER BY \`timestamp\`, state DESC`,
    );
    expect(u3.map((e) => [e.state, e.execution_id === dead.executionId])).toEqual([
      ['ROLLED_BACK', true],
      ['EXECUTED', false],
    ]);
    expect(u3[0]!.error_trace).toContain('interrupted');
    expect(await executedEntries()).toEqual([...ALL].sort());
    expect(await db!.lockHolder()).toBeNull();
    const reader = await mysqlDriver({ uri: db!.uri }).connect({
      migrationRepositoryName: 'mongockChangeLog',
      lockRepositoryName: 'mongockLock',
      logger: silentLogger,
    });
    try {
      expect((await reader.lock.inspect())?.inProgress ?? null).toBeNull();
    } finally {
      await reader.close();
    }
  }, 120_000);

  it("SIGKILL in the middle of a non-transactional unit with onInterruptedChange 'fail': CHANGE_INTERRUPTED until unlock --force; then a rerun completes", async () => {
    await killMidU3();
    const FAIL = { MONGOCK_TEST_ON_INTERRUPTED: 'fail' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = await startScript(SCRIPT, [db!.uri], FAIL).finished;
      expect(refused.code).toBe(1);
      expect(verdict(refused)).toMatchObject({ error: 'CHANGE_INTERRUPTED', changeId: 'u3' });
      expect(verdict(refused).message).toContain('unlock --force');
      expect(await countMarkers()).toEqual({ u1: ROWS, u2: ROWS, u3: ROWS / 2 });
      expect(await db!.lockHolder()).toBeNull();
    }

    // The operator checks the data (here: removes the partial rows), then clears the marker.
    await db!.admin.query(`DELETE FROM ${db!.table('markers')} WHERE name = 'u3'`);
    const unlocked = await startScript(SCRIPT, [db!.uri, 'unlock']).finished;
    expect(verdict(unlocked)).toMatchObject({ status: 'unlocked', released: true, holder: { inProgress: { changeId: 'u3' } } });

    const rerun = await startScript(SCRIPT, [db!.uri], FAIL).finished;
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(verdict(rerun)).toMatchObject({ executed: ['u3', 'u4'], rolledBack: [] });
    expect(await countMarkers()).toEqual(FULL);
  }, 120_000);

  it('a waiter that gives up names the holder and leaves no lock or pending acquisition behind', async () => {
    db = await createTestDatabase();
    const blocker = await mysqlDriver({ uri: db.uri }).connect({
      migrationRepositoryName: 'mongockChangeLog',
      lockRepositoryName: 'mongockLock',
      logger: silentLogger,
    });
    try {
      const attempt = await blocker.lock.tryAcquire({ owner: 'blocking-owner', hostname: 'blocking-host', leaseMs: 10_000, onLost: () => {} });
      if (!attempt.acquired) throw new Error('the test could not take the lock');
      const started = Date.now();
      const waiter = await startScript(SCRIPT, [db.uri, 'quit-after=1500']).finished;
      expect(waiter.code).toBe(1);
      const failure = verdict(waiter);
      expect(failure.error).toBe('LOCK_NOT_ACQUIRED');
      expect(failure.message).toMatch(/held by blocking-owner on blocking-host since \d{4}-\d\d-\d\dT/);
      expect(Date.now() - started).toBeLessThan(30_000);
      // Nothing of the waiter remains: its session is gone and the lock is still only the blocker's.
      const holder = await db.lockHolder();
      const [own] = await db.rows<{ id: number }>(`SELECT connection_id AS id FROM ${db.table('mongock_lock')}`);
      expect(holder).toBe(Number(own!.id));
      expect(await blocker.lock.release(attempt.lease)).toBe(true);
      expect(await db.lockHolder()).toBeNull();
      // Nobody else queued on it: a fresh zero-wait attempt gets it at once.
      const [got] = await db.rows<{ got: number }>('SELECT GET_LOCK(?, 0) AS got, RELEASE_LOCK(?) AS released', [
        `mongock:${db.database}.mongock_lock`,
        `mongock:${db.database}.mongock_lock`,
      ]);
      expect(got!.got).toBe(1);
      // Nothing was applied by the waiter.
      expect(await executedEntries().catch(() => [])).toEqual([]);
    } finally {
      await blocker.close();
    }
  }, 60_000);
});
