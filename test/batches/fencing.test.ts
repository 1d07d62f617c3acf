import { afterEach, describe, expect, it } from 'vitest';
import { waitForOutput } from '../support/processes.ts';
import { type Items, mongoItems, reportOf, sqliteItems, startBatchWorker } from './support.ts';

// Issue 13, "Tests (real servers)", third point, on the drivers whose lock is a lease (SQLite and
// the MongoDB-wire server; PostgreSQL and MySQL hold a session lock that dies with the
// connection): holder A is stopped (SIGSTOP) past its 3 s lease, B takes over and resumes from the
// checkpoint, A is resumed (SIGCONT) and must write nothing: it stops with LOCK_LOST at its next
// database call. Counted by the per-item marker before and after A's resumption.

const LEASE_MS = 3_000;
type Worker = ReturnType<typeof startBatchWorker>;

describe('a holder stopped past its lease in a batched unit (real processes)', () => {
  let items: Items | undefined;
  const started: Worker[] = [];
  const start = (spec: Parameters<typeof startBatchWorker>[0]) => {
    const worker = startBatchWorker(spec);
    started.push(worker);
    return worker;
  };
  afterEach(async () => {
    // A failed assertion must not leave a stopped process behind.
    for (const worker of started.splice(0)) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await items?.drop();
    items = undefined;
  });

  it('SQLite, stopped between batches: B takes over while A is stopped, resumes after A’s checkpoint and finishes; A resumed writes nothing (LOCK_LOST)', async () => {
    items = await sqliteItems(1_000);
    const a = start({ driver: 'sqlite', target: items.target, size: 100, lease: LEASE_MS, crash: { at: 'boundary', batch: 3, signal: 'SIGSTOP' } });
    await waitForOutput(a, 'CRASH boundary 3');
    const b = await start({ driver: 'sqlite', target: items.target, size: 100, lease: LEASE_MS, quit: 60_000 }).finished;
    const byB = reportOf(b);
    expect(byB.final, b.stderr).toMatchObject({ status: 'completed', outcome: 'executed' });
    expect(byB.batches[0]!.processed).toBe(400); // after A's three batches, not from the start
    const beforeResume = await items.markers();
    expect(beforeResume).toEqual({ 1: 1_000 });

    a.kill('SIGCONT');
    const resumed = await a.finished;
    expect(reportOf(resumed).final, resumed.stderr).toMatchObject({ error: 'LOCK_LOST', batchesHere: 3 });
    expect(resumed.code).toBe(1);
    expect(await items.markers()).toEqual(beforeResume);
    expect(await items.checkpoint()).toMatchObject({ processed: 1_000, state: 'done' });
    expect(await items.executedEntries()).toBe(1);
  }, 120_000);

  it('SQLite, stopped in the middle of a batch: its open transaction keeps B out (SQLite’s write lock) until A, resumed, loses the lock and rolls back; B then resumes from the checkpoint, every row once', async () => {
    items = await sqliteItems(1_000);
    const a = start({ driver: 'sqlite', target: items.target, size: 100, lease: LEASE_MS, crash: { at: 'mid-batch', batch: 3, signal: 'SIGSTOP' } });
    await waitForOutput(a, 'CRASH mid-batch 3');
    const b = start({ driver: 'sqlite', target: items.target, size: 100, lease: LEASE_MS, quit: 60_000 });
    let bOutput = '';
    b.stdout!.on('data', (chunk) => {
      bOutput += chunk;
    });
    // B asks for the lock from its execute() on; past A's lease it is still kept out by the
    // transaction A holds open (B waits in SQLite's busy wait, up to busy_timeout, then retries).
    await waitForOutput(b, 'EXECUTE');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 1_000));
    expect(bOutput).not.toContain('BATCH');
    expect(await items.markers()).toEqual({ 0: 800, 1: 200 }); // A's half batch is uncommitted

    a.kill('SIGCONT');
    const resumed = await a.finished;
    expect(reportOf(resumed).final, resumed.stderr).toMatchObject({ error: 'LOCK_LOST', batchesHere: 2 });
    const done = await b.finished;
    const byB = reportOf(done);
    expect(byB.final, done.stderr).toMatchObject({ status: 'completed', outcome: 'executed' });
    expect(byB.batches[0]!.processed).toBe(300); // A's third batch, rolled back, done again by B from the checkpoint
    expect(await items.markers()).toEqual({ 1: 1_000 });
    expect(await items.checkpoint()).toMatchObject({ processed: 1_000, state: 'done' });
  }, 120_000);

  it('MongoDB wire (FerretDB, no transactions), stopped in the middle of a batch: B waits out the lease, resumes from the checkpoint (re-applying the half batch A wrote, as documented), A resumed writes nothing (LOCK_LOST)', async () => {
    items = await mongoItems(500);
    const a = start({ driver: 'mongodb', target: items.target, size: 50, lease: LEASE_MS, crash: { at: 'mid-batch', batch: 3, signal: 'SIGSTOP' } });
    await waitForOutput(a, 'CRASH mid-batch 3');
    const b = await start({ driver: 'mongodb', target: items.target, size: 50, lease: LEASE_MS, quit: 60_000 }).finished;
    const byB = reportOf(b);
    expect(byB.final, b.stderr).toMatchObject({ status: 'completed', outcome: 'executed' });
    expect(byB.batches[0]!.processed).toBe(150); // batch 3 again: A's checkpoint said 100
    const beforeResume = await items.markers();
    expect(beforeResume).toEqual({ 1: 475, 2: 25 }); // A's 25 documents of batch 3, applied again by B

    a.kill('SIGCONT');
    const resumed = await a.finished;
    const byA = reportOf(resumed);
    expect(byA.final, resumed.stderr).toMatchObject({ error: 'LOCK_LOST', batchesHere: 2 });
    expect(byA.crash).toMatchObject({ at: 'mid-batch', batch: 3, written: 25 });
    expect(await items.markersBetween(byA.crash!.first, byA.crash!.last)).toEqual({ 2: 25 });
    expect(await items.markers()).toEqual(beforeResume); // nothing written after SIGCONT
    expect(await items.checkpoint()).toMatchObject({ processed: 500, state: 'done' });
    expect(await items.executedEntries()).toBe(1);
  }, 120_000);
});
