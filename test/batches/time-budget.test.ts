import { afterEach, describe, expect, it } from 'vitest';
import type { BatchWorkerSpec } from './processes/batch-worker-spec.ts';
import { type Items, postgresItems, reportOf, startBatchWorker } from './support.ts';

// Issue 13, "Tests (real servers)", second point: a `maxRunMs` of 2 s over a batched unit that
// needs about 10 s (PostgreSQL rows in batches of 100 with a 200 ms pause between batches), started
// again and again as a pod would be. Each start stops at a batch boundary once the next pause would
// cross its budget, reports `in-progress` with its checkpoint committed, and the next resumes.
// Timings are measured inside each start (ms since `execute()`; a batch from its read to its
// committed checkpoint), so the bound is the budget plus the longest batch of that start, whatever
// the load; what is asserted on the count of starts follows from the pauses alone.
//
// Two budgets: the unit's own `maxRunMs` (counts from the unit's start: the "unit that needs 10 s
// in five starts" case), and the runner's `setMaxRunMs` (counts from `execute()`, so Mongock's own
// start-up — connection, lock, history — is inside it: the pod start-up budget case).

const BUDGET_MS = 2_000;
const PAUSE_MS = 200;
const SIZE = 100;
/** Timer lateness and the batch's own BEGIN and lease check, which the batch timing does not see. */
const SLACK_MS = 500;
/** Releasing the lock and closing the connection after the last batch, generously. */
const RELEASE_MS = 2_000;

interface Start {
  readonly status: string;
  readonly lockedMs: number;
  readonly unitStartedMs: number;
  readonly batches: number;
  readonly processed: number;
  readonly lastBatchEndMs: number;
  readonly maxBatchMs: number;
  readonly elapsedMs: number;
}

describe('maxRunMs over real processes (PostgreSQL)', () => {
  let items: Items | undefined;
  afterEach(async () => {
    await items?.drop();
    items = undefined;
  });

  /** Starts workers one after the other until the unit completes; checks each start's checkpoint and progress. */
  async function startUntilDone(data: Items, spec: Partial<BatchWorkerSpec>, maxStarts: number): Promise<Start[]> {
    const starts: Start[] = [];
    let processed = 0;
    for (;;) {
      expect(starts.length, `more than ${maxStarts} starts: ${JSON.stringify(starts)}`).toBeLessThan(maxStarts);
      const run = await startBatchWorker({ driver: 'postgres', target: data.target, size: SIZE, pauseMs: PAUSE_MS, ...spec }).finished;
      const report = reportOf(run);
      const final = report.final;
      expect(final, `${run.stdout}\n${run.stderr}`).toBeDefined();
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const status = String(final!.status);
      expect(['in-progress', 'completed'], JSON.stringify(final)).toContain(status);
      expect(final!.outcome).toBe(status === 'completed' ? 'executed' : 'in-progress');
      // Every start does some work, and resumes where the one before stopped (a start that stopped
      // right after the last full batch leaves the next one an empty read that finds the end).
      expect(report.batches.length, run.stdout).toBeGreaterThan(0);
      expect(report.batches[0]!.processed).toBe(Math.min(processed + SIZE, data.total));
      processed = report.batches.at(-1)!.processed;
      starts.push({
        status,
        lockedMs: report.lockedMs!,
        unitStartedMs: report.unitStartedMs!,
        batches: report.batches.length,
        processed,
        lastBatchEndMs: report.batches.at(-1)!.endMs,
        maxBatchMs: Math.max(...report.batches.map((batch) => batch.endMs - batch.startMs)),
        elapsedMs: Number(final!.elapsedMs),
      });
      // What it reported is what it committed before letting go.
      expect(await data.checkpoint()).toMatchObject({ processed, state: status === 'completed' ? 'done' : 'running' });
      if (status === 'completed') break;
    }
    expect(await data.markers()).toEqual({ 1: data.total });
    expect(await data.executedEntries()).toBe(1);
    return starts;
  }

  const describeStarts = (starts: readonly Start[]) =>
    starts
      .map(
        (s, i) =>
          `  start ${i + 1}: ${s.status}, lock at ${s.lockedMs} ms, unit at ${s.unitStartedMs} ms, ${s.batches} batches (to ${s.processed}), last batch ended at ${s.lastBatchEndMs} ms, longest batch ${s.maxBatchMs} ms, execute() ${s.elapsedMs} ms`,
      )
      .join('\n');

  it('the unit’s maxRunMs of 2 s over a unit that needs ~10 s: five starts or a little more finish it, each stopping within the budget + one batch, never early, every row once', async () => {
    const batches = 45; // 44 pauses of 200 ms (8.8 s) plus the batches themselves: ~10 s
    items = await postgresItems(batches * SIZE);
    const starts = await startUntilDone(items, { unitMaxRunMs: BUDGET_MS }, 12);
    console.log(`unit maxRunMs ${BUDGET_MS} ms over ${batches} batches (pause ${PAUSE_MS} ms): ${starts.length} starts\n${describeStarts(starts)}`);
    for (const start of starts.slice(0, -1)) {
      const unitMs = start.lastBatchEndMs - start.unitStartedMs;
      expect(unitMs, JSON.stringify(start)).toBeLessThanOrEqual(BUDGET_MS + start.maxBatchMs + SLACK_MS);
      expect(unitMs + PAUSE_MS, `stopped before its budget: ${JSON.stringify(start)}`).toBeGreaterThanOrEqual(BUDGET_MS);
    }
    // At most ~10 pauses fit in one start's 2 s, so 44 pauses need five starts at least; slow batches under load add one or two.
    expect(starts.length).toBeGreaterThanOrEqual(5);
    expect(starts.length).toBeLessThanOrEqual(8);
  }, 180_000);

  it('the runner’s maxRunMs of 2 s (from execute(), start-up included): each start’s whole run is bounded by the budget + one batch, never stopped early', async () => {
    const batches = 30; // 5.8 s of pauses
    items = await postgresItems(batches * SIZE);
    const starts = await startUntilDone(items, { maxRunMs: BUDGET_MS }, 20);
    console.log(`runner maxRunMs ${BUDGET_MS} ms over ${batches} batches (pause ${PAUSE_MS} ms): ${starts.length} starts\n${describeStarts(starts)}`);
    for (const start of starts.slice(0, -1)) {
      expect(start.lastBatchEndMs, JSON.stringify(start)).toBeLessThanOrEqual(BUDGET_MS + start.maxBatchMs + SLACK_MS);
      expect(start.elapsedMs, JSON.stringify(start)).toBeLessThanOrEqual(BUDGET_MS + start.maxBatchMs + SLACK_MS + RELEASE_MS);
      expect(start.lastBatchEndMs + PAUSE_MS, `stopped before its budget: ${JSON.stringify(start)}`).toBeGreaterThanOrEqual(BUDGET_MS);
    }
    expect(starts.length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
