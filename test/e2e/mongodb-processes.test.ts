import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { carriedDocuments } from '../../src/drivers/mongodb/mongodb-carried-entries.ts';
import { silentLogger } from '../../src/index.ts';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { projectRoot, startScript, waitForOutput } from '../support/processes.ts';
import { FERRETDB_URL } from '../support/servers.ts';

const SCRIPT = 'test/e2e/processes/mongodb-runner.ts';
const CLOCK_PRELOAD = pathToFileURL(join(projectRoot, 'test/e2e/processes/mongodb-clock-offset.mjs')).href;
const UNITS = ['u1', 'u2', 'u3', 'u4', 'u5'];
const ALL_ONCE = Object.fromEntries(UNITS.map((id) => [id, 20]));
const LEASE_MS = 3_000;
/** The SIGKILLed holder's lease in the takeover test: longer than the test, so that it cannot just run out. */
const DEAD_HOLDER_LEASE_MS = 300_000;
const TEN_MINUTES = 10 * 60_000;

interface Outcome {
  status?: string;
  executed?: string[];
  rolledBack?: string[];
  acquiredAt?: number;
  startedAt?: number;
  waits?: number;
  warnings?: string[];
  released?: boolean;
  holder?: { inProgress?: { changeId: string } | null } | null;
  error?: string;
  changeId?: string;
  message?: string;
  clock: number;
}

describe('MongoDB driver with real OS processes on FerretDB', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeEach(async () => {
    fresh = await freshDatabase();
  });
  afterEach(async () => {
    await fresh.drop();
  });

  const start = (args: string[] = [], env: NodeJS.ProcessEnv = {}) => startScript(SCRIPT, [FERRETDB_URL, fresh.name, ...args], env);
  const outcome = (stdout: string): Outcome => JSON.parse(stdout.trim().split('\n').pop()!);
  const executionIdOf = (stdout: string): string => /^EXECUTION (\S+)$/m.exec(stdout)![1]!;
  const FAIL = { MONGOCK_TEST_ON_INTERRUPTED: 'fail' };

  /** Kills a run (lease `leaseMs`) in the middle of u3 (10 of its 20 documents written) and returns its executionId. */
  async function killMidU3(leaseMs = LEASE_MS): Promise<{ executionId: string; killedAt: number }> {
    const victim = start(['name=victim', 'hang-in=u3', `lease=${leaseMs}`]);
    await waitForOutput(victim, 'MIDWAY');
    victim.kill('SIGKILL');
    const killed = await victim.finished;
    expect(killed.signal).toBe('SIGKILL');
    const killedAt = Date.now();
    expect(await effects()).toEqual({ u1: 20, u2: 20, u3: 11 });
    const executionId = executionIdOf(killed.stdout);
    const lock = (await lockDocument())!;
    expect(lock.inProgress).toMatchObject({ changeId: 'u3', author: 'e2e', executionId });
    // u1's and u2's entries were carried by the lock updates that set u2's and u3's markers: they
    // are in the lock document only, and the next holder writes them to the history first.
    expect(carriedDocuments(lock.carriedEntries).map((entry) => entry.changeId)).toEqual(['u1', 'u2']);
    expect(await fresh.db.collection('mongockChangeLog').countDocuments({})).toBe(0);
    return { executionId, killedAt };
  }

  /** u3's history entries as [state, executionId, errorTrace mentions 'interrupted']. */
  async function u3Entries(): Promise<Array<[string, string, boolean]>> {
    const entries = await fresh.db.collection('mongockChangeLog').find({ changeId: 'u3' }).sort({ timestamp: 1 }).toArray();
    return entries.map((entry) => [entry.state as string, entry.executionId as string, String(entry.errorTrace ?? '').includes('interrupted')]);
  }

  /** The side-effect counter: documents each unit inserted, whatever the history says. */
  async function effects(): Promise<Record<string, number>> {
    const groups = await fresh.db
      .collection('effects')
      .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$unit', n: { $sum: 1 } } }])
      .toArray();
    return Object.fromEntries(groups.map((group) => [group._id, group.n]).sort());
  }

  async function executedEntries(): Promise<Array<[string, string]>> {
    const entries = await fresh.db.collection('mongockChangeLog').find({ state: 'EXECUTED' }).sort({ changeId: 1 }).toArray();
    return entries.map((entry) => [entry.changeId as string, entry.executionHostname as string]);
  }

  const lockDocument = () => fresh.db.collection('mongockLock').findOne({ key: 'DEFAULT_KEY' });

  it('16 processes started at once on an empty database apply every unit exactly once', async () => {
    // A lease of 20 s, not the crash tests' 3 s: 16 processes on a loaded 2-core machine once left
    // a holder unscheduled past 3 s, and it stopped with LOCK_LOST (safe, but not what this proves).
    // Retries every second (Mongock's default), not every 100 ms: 15 waiters polling FerretDB that
    // often kept it so busy that the run took up to 117 s here.
    const children = Array.from({ length: 16 }, (_, i) => start([`name=p${i}`, 'lease=20000', 'try=1000']));
    const results = await Promise.all(children.map((child) => child.finished));
    for (const result of results) expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(await effects()).toEqual(ALL_ONCE);
    const applied = results.flatMap((result) => outcome(result.stdout).executed ?? []);
    expect(applied.sort()).toEqual(UNITS);
    expect((await executedEntries()).map(([id]) => id)).toEqual(UNITS);
    expect(await lockDocument()).toMatchObject({ status: 'LOCK_RELEASED', owner: null, inProgress: null });
  }, 240_000);

  it('SIGKILL mid-unit: a new process on this host takes over at once and finishes (it rolls the half-applied unit back and applies it again)', async () => {
    // A lease longer than the test: only the dead-holder check can hand the lock over at once.
    const { executionId, killedAt } = await killMidU3(DEAD_HOLDER_LEASE_MS);

    // Without a transaction (FerretDB), u3 is half-applied: the taker runs u3's rollback, then u3 again.
    const taker = await start(['name=taker']).finished;
    const result = outcome(taker.stdout);
    expect(taker.code, taker.stdout + taker.stderr).toBe(0);
    const tookOverAfter = result.acquiredAt! - killedAt;
    const waitedFor = result.acquiredAt! - Math.max(killedAt, result.startedAt!);
    console.info(
      `SIGKILL: the next process took the lock over ${tookOverAfter} ms after the kill, ${waitedFor} ms after it began (lease ${DEAD_HOLDER_LEASE_MS} ms) and finished.`,
    );
    // The dead holder ran on this host: its lease is taken over at the first attempt, without one
    // wait. Counted, not timed: under load the taker's connect and first round trips alone took
    // over 2 s, and with the crash tests' 3 s lease a wait-free takeover could also mean the lease
    // had simply run out during the taker's start-up.
    expect(result.waits).toBe(0);
    expect(result).toMatchObject({ status: 'completed', rolledBack: ['u3'], executed: ['u3', 'u4', 'u5'] });
    expect(result.warnings!.filter((w) => w.includes("Change 'u3' by 'e2e' was interrupted"))).toHaveLength(1);
    // The side-effect counter: every unit's documents exactly once, none left from the dead run's half of u3.
    expect(await effects()).toEqual(ALL_ONCE);
    // The dead run's u3 is recorded ROLLED_BACK under its own executionId; the taker's re-run EXECUTED under another.
    const entries = await u3Entries();
    expect(entries).toEqual([
      ['ROLLED_BACK', executionId, true],
      ['EXECUTED', expect.not.stringMatching(executionId), false],
    ]);
    expect((await executedEntries()).map(([id]) => id)).toEqual(UNITS);
    expect(await lockDocument()).toMatchObject({ status: 'LOCK_RELEASED', owner: null, inProgress: null });
  }, 120_000);

  it("SIGKILL mid-unit with onInterruptedChange 'fail': CHANGE_INTERRUPTED (touching nothing) until unlock --force, then the run finishes", async () => {
    await killMidU3();
    for (const attempt of [1, 2]) {
      const refused = await start([`name=refused${attempt}`], FAIL).finished;
      expect(refused.code).toBe(1);
      expect(outcome(refused.stdout)).toMatchObject({ error: 'CHANGE_INTERRUPTED', changeId: 'u3' });
      expect(outcome(refused.stdout).message).toMatch(/Change 'u3' by 'e2e' was interrupted.*unlock --force/);
      expect(await effects()).toEqual({ u1: 20, u2: 20, u3: 11 });
    }
    expect(await fresh.db.collection('mongockChangeLog').countDocuments({ changeId: 'u3' })).toBe(0);

    // The operator checks the data (here: does what u3's rollback does) and clears the marker.
    await fresh.db.collection('effects').deleteMany({ unit: 'u3' });
    const unlocked = outcome((await start(['unlock']).finished).stdout);
    expect(unlocked).toMatchObject({ status: 'unlocked', released: true, holder: { inProgress: { changeId: 'u3' } } });

    const rerun = await start(['name=rerun'], FAIL).finished;
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(outcome(rerun.stdout)).toMatchObject({ executed: ['u3', 'u4', 'u5'], rolledBack: [] });
    expect(await effects()).toEqual(ALL_ONCE);
    expect(await lockDocument()).toMatchObject({ status: 'LOCK_RELEASED', owner: null, inProgress: null });
  }, 120_000);

  it('SIGSTOP between units past the lease: the taker rolls back the unit whose entry was not sent yet and finishes; the resumed holder records nothing and exits LOCK_LOST', async () => {
    // Stopped when u2 has finished: its entry is carried by the next lock write (u3's marker),
    // which was not sent, so for everyone else u2 is still in progress (its marker).
    const paused = start(['name=paused', 'pause-after=u2']);
    await waitForOutput(paused, 'PAUSED'); // and stopped itself there (SIGSTOP)
    try {
      const taker = await start(['name=taker']).finished;
      expect(taker.code, taker.stdout).toBe(0);
      expect(outcome(taker.stdout)).toMatchObject({ status: 'completed', rolledBack: ['u2'], executed: ['u2', 'u3', 'u4', 'u5'] });
      const afterTaker = await lockDocument();
      expect(afterTaker).toMatchObject({ status: 'LOCK_RELEASED', owner: null, fence: 2 });
    } finally {
      paused.kill('SIGCONT');
    }
    const resumed = await paused.finished;
    expect(resumed.code).toBe(1);
    expect(outcome(resumed.stdout)).toMatchObject({ error: 'LOCK_LOST' });
    expect(await effects()).toEqual(ALL_ONCE);
    const entries = await executedEntries();
    expect(entries.map(([id]) => id)).toEqual(UNITS);
    expect(entries.filter(([, host]) => host.endsWith('-paused')).map(([id]) => id)).toEqual(['u1']);
    // The resumed holder's u2 entry, still in its memory, was never written: its next lock write was refused.
    const u2 = await fresh.db.collection('mongockChangeLog').find({ changeId: 'u2' }).sort({ _id: 1 }).toArray();
    expect(u2.map((entry) => [entry.state, entry.executionId === executionIdOf(resumed.stdout)])).toEqual([
      ['ROLLED_BACK', true],
      ['EXECUTED', false],
    ]);
    // The resumed holder's release did not touch the lock the taker had released after it (fence 2).
    expect(await lockDocument()).toMatchObject({ status: 'LOCK_RELEASED', owner: null, fence: 2, inProgress: null, carriedEntries: null });
  }, 120_000);

  it('SIGKILL when a unit has finished, before the lock write that carries its entry: the next run rolls that unit back and applies it again', async () => {
    const victim = await start(['name=victim', 'die-after=u2', `lease=${DEAD_HOLDER_LEASE_MS}`]).finished;
    expect(victim.signal).toBe('SIGKILL');
    expect(await effects()).toEqual({ u1: 20, u2: 20 });
    const executionId = executionIdOf(victim.stdout);
    expect((await lockDocument())!.inProgress).toMatchObject({ changeId: 'u2', executionId });
    const taker = await start(['name=taker']).finished;
    expect(taker.code, taker.stdout + taker.stderr).toBe(0);
    expect(outcome(taker.stdout)).toMatchObject({ status: 'completed', waits: 0, rolledBack: ['u2'], executed: ['u2', 'u3', 'u4', 'u5'] });
    expect(await effects()).toEqual(ALL_ONCE);
    const entries = await executedEntries();
    expect(entries.map(([id]) => id)).toEqual(UNITS);
    expect(entries.filter(([, host]) => host.endsWith('-victim')).map(([id]) => id)).toEqual(['u1']);
    expect(await lockDocument()).toMatchObject({ status: 'LOCK_RELEASED', owner: null, inProgress: null, carriedEntries: null });
  }, 120_000);

  it('SIGKILL once the carried entries are in the history but the lock still carries them (before the release): the next run applies nothing and writes no entry twice', async () => {
    const victim = await start(['name=victim', 'die-on=insert:mongockChangeLog', `lease=${DEAD_HOLDER_LEASE_MS}`]).finished;
    expect(victim.signal).toBe('SIGKILL');
    expect(await effects()).toEqual(ALL_ONCE);
    const dead = (await lockDocument())!;
    expect(dead.owner).not.toBeNull();
    expect(dead.inProgress).toBeNull(); // the last marker was cleared by the write that carried u5's entry
    expect(carriedDocuments(dead.carriedEntries).map((entry) => entry.changeId)).toEqual(UNITS);
    expect((await executedEntries()).map(([id]) => id)).toEqual(UNITS);
    const taker = await start(['name=taker']).finished;
    expect(taker.code, taker.stdout + taker.stderr).toBe(0);
    // Up to date before the lock (the history is complete); nothing rolled back, nothing run again.
    expect(outcome(taker.stdout)).toMatchObject({ status: 'up-to-date', executed: [], rolledBack: [] });
    expect(await effects()).toEqual(ALL_ONCE);
    expect(await fresh.db.collection('mongockChangeLog').countDocuments({})).toBe(UNITS.length);
  }, 120_000);

  it('SIGKILL after the lock write that carried two entries and before any history insert: the next run writes them first, rolls back the unrecorded unit and applies the rest', async () => {
    // u3's marker update carried u1's and u2's entries; the victim dies when u3 has finished, its entry not sent.
    const victim = await start(['name=victim', 'die-after=u3', `lease=${DEAD_HOLDER_LEASE_MS}`]).finished;
    expect(victim.signal).toBe('SIGKILL');
    const dead = (await lockDocument())!;
    expect(carriedDocuments(dead.carriedEntries).map((entry) => entry.changeId)).toEqual(['u1', 'u2']);
    expect(await fresh.db.collection('mongockChangeLog').countDocuments({})).toBe(0);
    const taker = await start(['name=taker']).finished;
    expect(taker.code, taker.stdout + taker.stderr).toBe(0);
    expect(outcome(taker.stdout)).toMatchObject({ status: 'completed', rolledBack: ['u3'], executed: ['u3', 'u4', 'u5'] });
    expect(await effects()).toEqual(ALL_ONCE);
    const entries = await executedEntries();
    expect(entries.map(([id]) => id)).toEqual(UNITS);
    expect(entries.filter(([, host]) => host.endsWith('-victim')).map(([id]) => id)).toEqual(['u1', 'u2']);
  }, 120_000);

  it('SIGSTOP mid-unit past the lease: the taker rolls the unit back and finishes; the resumed holder writes and records nothing more and exits LOCK_LOST', async () => {
    const paused = start(['name=paused', 'slow-in=u3']);
    await waitForOutput(paused, 'SLOW'); // and stopped itself there (SIGSTOP)
    try {
      const taker = await start(['name=taker']).finished;
      expect(taker.code, taker.stdout + taker.stderr).toBe(0);
      expect(outcome(taker.stdout)).toMatchObject({ status: 'completed', rolledBack: ['u3'], executed: ['u3', 'u4', 'u5'] });
      expect(await effects()).toEqual(ALL_ONCE);
    } finally {
      paused.kill('SIGCONT');
    }
    const resumed = await paused.finished;
    expect(resumed.code).toBe(1);
    expect(outcome(resumed.stdout)).toMatchObject({ error: 'LOCK_LOST' });
    // Its next guarded write after SIGCONT was refused: u3's documents are the taker's 20, none of the paused process's.
    expect(await effects()).toEqual(ALL_ONCE);
    expect(await fresh.db.collection('effects').countDocuments({ pid: paused.pid })).toBe(40); // u1 and u2 only
    const entries = await executedEntries();
    expect(entries.map(([id]) => id)).toEqual(UNITS);
    expect(entries.filter(([, host]) => host.endsWith('-paused')).map(([id]) => id)).toEqual(['u1', 'u2']);
    expect(await u3Entries()).toEqual([
      ['ROLLED_BACK', executionIdOf(resumed.stdout), true],
      ['EXECUTED', expect.not.stringMatching(executionIdOf(resumed.stdout)), false],
    ]);
    // The resumed holder's release did not touch the lock the taker had released after it (fence 2).
    expect(await lockDocument()).toMatchObject({ status: 'LOCK_RELEASED', owner: null, fence: 2, inProgress: null });
  }, 120_000);

  it('a process whose clock is 10 minutes fast does not steal a live lock (expiry is judged by the server clock)', async () => {
    const connection = await mongoDriver({ client: fresh.client, databaseName: fresh.name }).connect({
      migrationRepositoryName: 'mongockChangeLog',
      lockRepositoryName: 'mongockLock',
      logger: silentLogger,
    });
    try {
      const held = await connection.lock.tryAcquire({ owner: 'live-holder', leaseMs: 30_000, hostname: 'elsewhere', onLost: () => {} });
      expect(held.acquired).toBe(true);
      const fast = await start(['name=fast', 'quit=2000'], { NODE_OPTIONS: `--import ${CLOCK_PRELOAD}`, MONGOCK_TEST_CLOCK_OFFSET_MS: String(TEN_MINUTES) })
        .finished;
      const result = outcome(fast.stdout);
      // The child's wall clock really was 10 minutes ahead.
      expect(result.clock - Date.now()).toBeGreaterThan(TEN_MINUTES - 60_000);
      expect(fast.code).toBe(1);
      expect(result).toMatchObject({ error: 'LOCK_NOT_ACQUIRED' });
      expect(await effects()).toEqual({});
      expect(await lockDocument()).toMatchObject({ owner: 'live-holder', status: 'LOCK_HELD' });
      if (held.acquired) await connection.lock.release(held.lease);
    } finally {
      await connection.close();
    }
  }, 60_000);

  it('a process whose clock is 10 minutes slow does not respect a dead lock: it takes it over at once and finishes', async () => {
    // A lock whose lease ran out a second ago by the server's clock.
    const hello = await fresh.db.command({ hello: 1 });
    const serverNow = (hello.localTime as Date).getTime();
    await fresh.db.collection('mongockLock').insertOne({
      key: 'DEFAULT_KEY',
      status: 'LOCK_HELD',
      owner: 'dead-holder',
      expiresAt: new Date(serverNow - 1_000),
      fence: 7,
      hostname: 'gone',
      acquiredAt: new Date(serverNow - 61_000),
      leaseMs: 60_000,
      inProgress: null,
    });
    const slow = await start(['name=slow', 'quit=2000'], { NODE_OPTIONS: `--import ${CLOCK_PRELOAD}`, MONGOCK_TEST_CLOCK_OFFSET_MS: String(-TEN_MINUTES) })
      .finished;
    const result = outcome(slow.stdout);
    expect(Date.now() - result.clock).toBeGreaterThan(TEN_MINUTES - 60_000);
    expect(slow.code, slow.stdout).toBe(0);
    expect(result.executed).toEqual(UNITS);
    expect(await effects()).toEqual(ALL_ONCE);
    expect(await lockDocument()).toMatchObject({ status: 'LOCK_RELEASED', owner: null, fence: 8 });
  }, 60_000);
});
