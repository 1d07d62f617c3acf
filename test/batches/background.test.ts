import { afterEach, describe, expect, it } from 'vitest';
import type { BatchWorkerSpec } from './processes/batch-worker-spec.ts';
import { type Items, postgresItems, reportOf, sqliteItems, startBatchWorker } from './support.ts';

// `runner.executeInBackground()` (issue 13, point 3: "a background mode lets a started service
// finish the work after it began serving, holding the lock only while working"), in real OS
// processes on real databases. Judged by counts, never by time: a slice of 1 ms runs exactly one
// batch (every slice runs at least one), so the number of slices, lock acquisitions and batches
// is known in advance; `stop()` is called from the n-th batch's progress event; the marker `n` of
// every row counts its applications.

const SIZE = 100;
/** 4 full batches and a short fifth: the fifth ends the source. */
const TOTAL = 450;
const BATCHES = 5;

type Driver = 'sqlite' | 'postgres';
const itemsFor = (driver: Driver, total: number) => (driver === 'sqlite' ? sqliteItems(total) : postgresItems(total));

describe.each<Driver>(['sqlite', 'postgres'])('executeInBackground() in real processes (%s)', (driver) => {
  let items: Items | undefined;
  afterEach(async () => {
    await items?.drop();
    items = undefined;
  });

  async function run(data: Items, spec: Partial<BatchWorkerSpec>) {
    const finished = await startBatchWorker({ driver: data.driver, target: data.target, size: SIZE, ...spec }).finished;
    const report = reportOf(finished);
    expect(report.final, `${finished.stdout}\n${finished.stderr}`).toBeDefined();
    return { ...report, final: report.final!, code: finished.code, output: `${finished.stdout}\n${finished.stderr}` };
  }

  it('completes in slices, taking the lock for each and holding it after none; every row marked once', async () => {
    items = await itemsFor(driver, TOTAL);
    const done = await run(items, { background: { sliceMs: 1 } });
    expect(done.code, done.output).toBe(0);
    expect(done.final).toMatchObject({ status: 'completed', outcome: 'executed', batchesHere: BATCHES, lockAfter: false });
    // One batch per slice, each slice under its own lock: released in between.
    expect(done.final.slices).toBe(BATCHES);
    expect(done.batches.map((batch) => batch.processed)).toEqual([100, 200, 300, 400, 450]);
    expect(await items.markers()).toEqual({ 1: TOTAL });
    expect(await items.executedEntries()).toBe(1);
    expect(await items.checkpoint()).toMatchObject({ processed: TOTAL, batches: BATCHES, state: 'done' });
  });

  it('stop() ends at the batch boundary, in-progress, the lock released; another process takes the lock at once and finishes', async () => {
    items = await itemsFor(driver, TOTAL);
    // One long slice: only stop() ends it.
    const stopped = await run(items, { background: { sliceMs: 600_000, stopAtBatch: 2 } });
    expect(stopped.code, stopped.output).toBe(0);
    expect(stopped.final).toMatchObject({ status: 'in-progress', outcome: 'in-progress', batchesHere: 2, slices: 1, lockAfter: false });
    expect(await items.checkpoint()).toMatchObject({ processed: 200, batches: 2, lastKey: '200', state: 'running' });
    expect(await items.markers()).toEqual({ 0: TOTAL - 200, 1: 200 });
    expect(await items.executedEntries()).toBe(0);
    // A lease nobody is meant to lose (60 s) and a 2 s wait: a lock left behind would make this fail with LOCK_NOT_ACQUIRED.
    const next = await run(items, { quit: 2_000 });
    expect(next.code, next.output).toBe(0);
    expect(next.final).toMatchObject({ status: 'completed', outcome: 'executed', batchesHere: 3, lockAfter: false });
    expect(next.batches[0]!.processed).toBe(300);
    expect(await items.markers()).toEqual({ 1: TOTAL });
    expect(await items.executedEntries()).toBe(1);
  });

  it('a failed batch rejects done with CHANGE_FAILED (the batches before it kept, the lock released); the next start resumes at it', async () => {
    items = await itemsFor(driver, TOTAL);
    const failed = await run(items, { background: { sliceMs: 600_000 }, failAtBatch: 2 });
    expect(failed.code, failed.output).toBe(1);
    expect(failed.final).toMatchObject({ error: 'CHANGE_FAILED', batchesHere: 1, lockAfter: false });
    expect(String(failed.final.message)).toContain('batch 2 refused');
    expect(await items.checkpoint()).toMatchObject({ processed: 100, state: 'running' });
    expect(await items.markers()).toEqual({ 0: TOTAL - 100, 1: 100 });
    const next = await run(items, { background: { sliceMs: 600_000 }, quit: 2_000 });
    expect(next.final).toMatchObject({ status: 'completed', outcome: 'executed', batchesHere: 4, slices: 1, lockAfter: false });
    expect(await items.markers()).toEqual({ 1: TOTAL });
  });
  it('a unit that failed without stopping its run (failFast: false), before the batched one, is attempted once in all the slices and reported failed in done; the next start attempts it again', async () => {
    items = await itemsFor(driver, TOTAL);
    const done = await run(items, { background: { sliceMs: 1 }, softFailFirst: true });
    expect(done.code, done.output).toBe(0);
    expect(done.final).toMatchObject({ status: 'completed', outcome: 'executed', batchesHere: BATCHES, slices: BATCHES, lockAfter: false });
    expect(done.final).toMatchObject({ failedIds: ['seed-soft'], softAttempts: 1 });
    expect(await items.markers()).toEqual({ 1: TOTAL });
    expect(await items.executedEntries()).toBe(1);
    const next = await run(items, { softFailFirst: true });
    expect(next.final).toMatchObject({ status: 'completed', batchesHere: 0, failedIds: ['seed-soft'], softAttempts: 1 });
    expect(await items.markers()).toEqual({ 1: TOTAL });
  });
});
