import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { lastJson, runWorker, startWorker, waitForOutput } from './support.ts';

// Issue 18, point 1 on a MongoDB replica set, with real processes: a holder inside a change
// transaction longer than its lease cannot move the committed lock document's expiry (the
// transaction owns that document until it commits), so its renewals go to a heartbeat document
// that `status` reads: the lease reads as live, a plain `unlock` leaves it, a rival applies
// nothing beside it, and every unit's effects are there exactly once.
// Needs a real replica set (transactions): FerretDB has none, so this runs only with MONGODB_URI.

const REPLICA_SET = process.env.MONGODB_URI;
if (REPLICA_SET === undefined) {
  console.warn('MONGODB_URI is not set: the MongoDB replica-set reliability test (lease renewal inside a long transaction) is skipped, not passed.');
}

describe.skipIf(REPLICA_SET === undefined)('MongoDB replica set: lease renewal inside a long transaction (real processes, MONGODB_URI)', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeEach(async () => {
    fresh = await freshDatabase(REPLICA_SET);
  });
  afterEach(async () => {
    await fresh.drop();
  });

  it('a lease renewed inside a 9 s transaction (3 s lease) reads as live: status says so, a plain unlock leaves it, nothing runs twice', async () => {
    const target = `${REPLICA_SET}|${fresh.name}`;
    const units = [{ id: 'long-tx', sleepMs: 9_000 }, { id: 'plain', transactional: false, rows: 20, sleepMs: 1_000 }, { id: 'last' }];
    const holder = startWorker({ driver: 'mongodb', target, action: 'migrate', units, lease: 3_000 });
    await waitForOutput(holder, 'STARTED long-tx');
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // past the 3 s lease, inside the transaction

    const [statusRun, unlockRun] = await Promise.all([
      runWorker({ driver: 'mongodb', target, action: 'status', units }),
      runWorker({ driver: 'mongodb', target, action: 'unlock', units }),
    ]);
    const rival = runWorker({ driver: 'mongodb', target, action: 'migrate', units, lease: 3_000 });
    expect((lastJson(statusRun.stdout).lock as { expired: boolean }).expired, statusRun.stdout).toBe(false);
    expect(lastJson(unlockRun.stdout).released).toBe(false);

    const done = await holder.finished;
    expect(lastJson(done.stdout), done.stderr).toMatchObject({ status: 'completed', executed: ['long-tx', 'plain', 'last'] });
    expect(lastJson((await rival).stdout).executed ?? []).toEqual([]);
    const rows = await fresh.db
      .collection('effects')
      .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$unit', n: { $count: {} } } }])
      .toArray();
    expect(Object.fromEntries(rows.map((row) => [row._id, row.n]))).toEqual({ 'long-tx': 10, plain: 20, last: 10 });
  }, 90_000);
});
