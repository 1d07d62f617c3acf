import { readFileSync, readlinkSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { DEFAULT_COLLECTION_SETTINGS } from '../../src/drivers/mongodb/mongodb-driver.ts';
import { MongoHistory } from '../../src/drivers/mongodb/mongodb-history.ts';
import { type ChangeEntry, silentLogger } from '../../src/index.ts';
import type { Clock } from '../../src/lock/clock.ts';
import { LockManager } from '../../src/lock/lock-manager.ts';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { FERRETDB_URL } from '../support/servers.ts';
import { firstStartMs, lastJson, lockWaits, runWorker, startWorker, waitForOutput } from './support.ts';

// Issue 18 on MongoDB (FerretDB: a standalone server, no transactions), with real processes:
// a dead holder on this host is taken over at once (point 11), a live one is not even when a
// dead one reused its pid, `status` says when a live lease ends, and the standalone window
// between the fence check and the history write cannot overwrite a newer holder's entry (point 12).

describe('MongoDB lock under hostile conditions (real processes, FerretDB)', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeEach(async () => {
    fresh = await freshDatabase();
  });
  afterEach(async () => {
    await fresh.drop();
  });
  const target = () => `${FERRETDB_URL}|${fresh.name}`;
  const effects = async () => {
    const rows = await fresh.db
      .collection('effects')
      .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$unit', n: { $count: {} } } }])
      .toArray();
    return Object.fromEntries(rows.map((row) => [row._id, row.n]));
  };

  it("SIGKILL of the holder (60 s lease): the rerun on this host takes over at its first attempt (it never waits for the dead holder's lease)", async () => {
    const units = [{ id: 'u1' }, { id: 'u2', hang: true }, { id: 'u3' }];
    const victim = startWorker({ driver: 'mongodb', target: target(), action: 'migrate', units, lease: 60_000 });
    await waitForOutput(victim, 'MIDWAY u2');
    victim.kill('SIGKILL');
    const killed = await victim.finished;
    // The same start-up on an empty database, in the killed process: what this machine needs anyway.
    const baseline = firstStartMs(killed.stdout);

    const rerun = await runWorker({ driver: 'mongodb', target: target(), action: 'migrate', units: units.map(({ id }) => ({ id })), lease: 60_000 });
    expect(lastJson(rerun.stdout), rerun.stderr).toMatchObject({ status: 'completed' });
    const waited = firstStartMs(rerun.stdout);
    console.log(`mongodb: rerun after SIGKILL started applying ${waited} ms after execute() (a first run here: ${baseline} ms)`);
    // Not the dead holder's 60 s lease: the lock is taken at the first attempt (a count; comparing
    // the two processes' start-up times failed at load 30+).
    expect(lockWaits(rerun.stdout), rerun.stdout).toBe(0);
    expect(await effects()).toEqual({ u1: 10, u2: 10, u3: 10 });
  }, 60_000);

  it('a live holder is never taken over early (status says when its lease ends), even when a dead one reused its pid number', async () => {
    expect((await runWorker({ driver: 'mongodb', target: target(), action: 'migrate', units: [{ id: 'seed' }] })).code).toBe(0);
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const identity = {
      pid: process.pid,
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pidNamespace: readlinkSync('/proc/self/ns/pid'),
      startTicks: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!,
    };
    const expiresAt = new Date(Date.now() + 60_000);
    const setHolder = (startTicks: string) =>
      fresh.db
        .collection('mongockLock')
        .updateOne(
          { key: 'DEFAULT_KEY' },
          { $set: { status: 'LOCK_HELD', owner: 'someone', hostname: 'here', expiresAt, holderProcess: { ...identity, startTicks } } },
        );
    const units = [{ id: 'seed' }, { id: 'next' }];

    await setHolder(identity.startTicks);
    const status = lastJson((await runWorker({ driver: 'mongodb', target: target(), action: 'status', units })).stdout);
    expect(status.lock).toMatchObject({ owner: 'someone', expired: false, gone: false, expiresAt: expiresAt.toISOString() });
    const blocked = await runWorker({ driver: 'mongodb', target: target(), action: 'migrate', units, quit: 1_000 });
    expect(lastJson(blocked.stdout)).toMatchObject({ error: 'LOCK_NOT_ACQUIRED' });
    expect(lastJson(blocked.stdout).message).toContain(`lease until ${expiresAt.toISOString()}`);

    await setHolder(String(Number(identity.startTicks) + 1));
    const takeover = await runWorker({ driver: 'mongodb', target: target(), action: 'migrate', units, quit: 1_000 });
    expect(lastJson(takeover.stdout)).toMatchObject({ status: 'completed', executed: ['next'] });
  }, 60_000);

  it('standalone, real processes: holder A stopped (SIGSTOP) between its fence check and its history write, B takes over and finishes, A resumed: A stops with LOCK_LOST, the state and the effects stay exact', async () => {
    const units = [{ id: 'u1' }, { id: 'u2' }, { id: 'u3' }];
    // (1) A (3 s lease) applies u2 and is stopped at the named point: fence checked, entry not written.
    const a = startWorker({ driver: 'mongodb', target: target(), action: 'migrate', units, lease: 3_000, pauseAtHistoryWrite: 'u2' });
    await waitForOutput(a, 'AT history-write u2');
    // (2) B waits out A's lease (A's process is alive, only stopped: no same-host takeover), takes
    // over, rolls A's interrupted u2 back (recording ROLLED_BACK under A's execution id), applies u2 and u3.
    const b = await runWorker({ driver: 'mongodb', target: target(), action: 'migrate', units, lease: 3_000, quit: 60_000 });
    expect(lastJson(b.stdout), b.stderr).toMatchObject({ status: 'completed', recovered: ['u2'], executed: ['u2', 'u3'] });
    // (3) A resumes and makes its write for u2: refused, it stops.
    a.kill('SIGCONT');
    const resumed = await a.finished;
    expect(lastJson(resumed.stdout), resumed.stderr).toMatchObject({ error: 'LOCK_LOST' });

    const entries = await fresh.db.collection('mongockChangeLog').find({ changeId: 'u2' }).sort({ timestamp: 1 }).toArray();
    const states = entries.map((entry) => entry.state);
    expect(states.filter((state) => state === 'EXECUTED')).toHaveLength(1);
    expect(states).toContain('ROLLED_BACK');
    const rolledBack = entries.find((entry) => entry.state === 'ROLLED_BACK')!;
    const executed = entries.find((entry) => entry.state === 'EXECUTED')!;
    expect(executed.executionId).not.toBe(rolledBack.executionId); // A's key kept B's ROLLED_BACK, never A's EXECUTED
    expect(await effects()).toEqual({ u1: 10, u2: 10, u3: 10 });
    const next = await runWorker({ driver: 'mongodb', target: target(), action: 'migrate', units });
    expect(lastJson(next.stdout)).toMatchObject({ status: 'up-to-date', executed: [] });
  }, 120_000);

  it('standalone, in one process: a holder resumed between its fence check and its history write cannot replace the entry a newer holder wrote', async () => {
    // The exact sequence, on the real server: (1) stale holder A (fence 1) passes its fence check
    // and is paused; (2) B takes the lease over (fence 2) and records ROLLED_BACK for A's
    // interrupted change under A's execution id; (3) A resumes and writes EXECUTED for that key.
    const history = new MongoHistory(fresh.db, 'mongockChangeLog', DEFAULT_COLLECTION_SETTINGS);
    await history.create();
    const entry = (state: ChangeEntry['state'], host: string): ChangeEntry => ({
      executionId: 'exec-A',
      changeId: 'u3',
      author: 'reliability',
      timestamp: new Date(),
      state,
      type: 'EXECUTION',
      changeLogClass: 'u3',
      changeSetMethod: 'execute',
      metadata: null,
      executionMillis: 1,
      executionHostname: host,
      errorTrace: null,
      systemChange: false,
    });
    expect(await history.save(entry('ROLLED_BACK', 'B'), undefined, 2)).toBe(true); // (2)
    expect(await history.save(entry('EXECUTED', 'A'), undefined, 1)).toBe(false); // (3): refused, A stops with LOCK_LOST
    const stored = await fresh.db.collection('mongockChangeLog').find({ executionId: 'exec-A' }).toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ state: 'ROLLED_BACK', executionHostname: 'B', lockFence: 2 });
    // The newer holder may still rewrite its own entry.
    expect(await history.save(entry('ROLLED_BACK', 'B2'), undefined, 2)).toBe(true);
  });

  it('standalone, in one process: the renewal and the in-progress marker are written one after the other, so FerretDB (which rewrites a document whole on update) keeps both', async () => {
    // FerretDB 1.x keeps only one of two concurrent updates of one document, even of different
    // fields (142 of 200 concurrent pairs here): a renewal that overlapped the marker's write lost
    // the marker, and the next run took a half-applied change for a finished one. The renewal
    // timer is fired by hand while each marker write starts, the lease long enough for any load.
    const ticks = new Set<() => void>();
    let time = 0;
    const clock: Clock = {
      now: () => time,
      async sleep(ms) {
        time += ms;
      },
      repeat(_ms, tick) {
        ticks.add(tick);
        return () => ticks.delete(tick);
      },
    };
    const connection = await mongoDriver({ client: fresh.client, databaseName: fresh.name }).connect({
      migrationRepositoryName: 'mongockChangeLog',
      lockRepositoryName: 'mongockLock',
      logger: silentLogger,
    });
    const config = { acquiredForMs: 60_000, tryFrequencyMs: 100, quitTryingAfterMs: 1_000 };
    const lock = new LockManager({ primitive: connection.lock, config, lease: true, owner: 'holder', hostname: 'here', logger: silentLogger, clock });
    try {
      expect(await lock.acquire()).toBeNull();
      let expiresAt = 0;
      for (let i = 0; i < 20; i++) {
        const change = { changeId: `u${i}`, author: 'a', executionId: 'e', startedAt: new Date(), hostname: 'here', step: 'execute' as const };
        const marking = lock.markInProgress(change);
        time += config.acquiredForMs / 3; // a renewal is due: the timer fires while the marker is being written
        for (const tick of ticks) tick();
        await marking;
        await lock.ensure(); // the renewal has finished
        const document = (await fresh.db.collection('mongockLock').findOne({ key: 'DEFAULT_KEY' }))!;
        expect(document.inProgress?.changeId, `write ${i}`).toBe(`u${i}`);
        const renewedTo = (document.expiresAt as Date).getTime();
        expect(renewedTo, `renewal ${i}`).toBeGreaterThan(expiresAt);
        expiresAt = renewedTo;
      }
    } finally {
      await lock.release();
      await connection.close();
    }
  });
});
