import { afterEach, describe, expect, it } from 'vitest';
import { carriedDocuments } from '../../src/drivers/mongodb/mongodb-carried-entries.ts';
import { MONGO_TEST_URL } from '../support/mongodb-harness.ts';
import { type Items, mongoItems, reportOf, startBatchWorker, UNIT_ID } from './support.ts';

// A batched unit SIGKILLed after its last batch, before the lock write that would carry its
// EXECUTED entry (MongoDB without transactions: a unit's entry rides in the next fenced update of
// the lock document, src/drivers/mongodb/mongodb-carried-entries.ts; here the marker's clearing,
// which the kill prevents). The kill point is the worker's `last-boundary`: the `batch-progress`
// listener of the last batch, after its checkpoint was saved as done.
//
// The entry was only queued in memory until the done checkpoint was made to write it first: the
// kill then left a done checkpoint and no entry, and the rerun applied every batch again (every
// marker 2, not the at-most-one-batch a kill between a batch and its checkpoint allows). Now the
// rerun finds the entry, applies nothing: every marker exactly 1 — no batch is re-run at all,
// because nothing was left between a batch and its checkpoint — and the unit is EXECUTED once.
// With MONGODB_URI (a replica set) the entry commits with the last batch; the same end is checked.

const TOTAL = 250;
const SIZE = 20;
/** 12 full batches and a last one of 10 (shorter than SIZE: the source is exhausted). */
const BATCHES = Math.ceil(TOTAL / SIZE);

describe('batched unit SIGKILLed after its last batch, before its history entry is carried (MongoDB, real processes)', () => {
  let items: Items | undefined;
  afterEach(async () => {
    await items?.drop();
    items = undefined;
  });

  it('the rerun applies nothing again: every marker exactly 1, the unit EXECUTED once, the checkpoint done', async () => {
    items = await mongoItems(TOTAL, MONGO_TEST_URL);
    const transactional = await items.transactional();
    const spec = { driver: items.driver, target: items.target, size: SIZE, reportEvery: 100 };

    const killed = await startBatchWorker({ ...spec, crash: { at: 'last-boundary', batch: BATCHES, signal: 'SIGKILL' } }).finished;
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
    expect(reportOf(killed).crash).toMatchObject({ at: 'last-boundary', batch: BATCHES });
    expect(await items.checkpoint()).toMatchObject({ processed: TOTAL, batches: BATCHES, state: 'done' });
    expect(await items.markers()).toEqual({ 1: TOTAL });
    // The entry is in the history: written with the last batch (transactions), or before its done checkpoint.
    expect(await items.executedEntries()).toBe(1);
    if (!transactional) {
      // Killed before the lock write that would have carried it: the marker still names the unit, the lock document does not carry its entry.
      const lock = (await items.lockDocument!())!;
      expect(lock.inProgress).toMatchObject({ changeId: UNIT_ID });
      expect(carriedDocuments(lock.carriedEntries).map((entry) => entry.changeId)).not.toContain(UNIT_ID);
    }

    const rerun = await startBatchWorker(spec).finished;
    const report = reportOf(rerun);
    // Up to date from the history alone: it neither takes the lock (the dead holder's lease runs out
    // on its own; the next holder clears its stale marker) nor runs a batch.
    expect(report.final, `${rerun.stdout}\n${rerun.stderr}`).toMatchObject({ status: 'up-to-date', batchesHere: 0, slices: 0 });
    expect(await items.markers()).toEqual({ 1: TOTAL });
    expect(await items.executedEntries()).toBe(1);
    expect(await items.checkpoint()).toMatchObject({ processed: TOTAL, batches: BATCHES, state: 'done' });
  }, 300_000);
});
