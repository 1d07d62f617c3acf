import type { Batched } from '../../change/batched.ts';
import type { CheckpointStore } from '../../drivers/driver.ts';
import { MongockError } from '../../errors/mongock-error.ts';
import type { BatchCheckpoint, BatchDirection } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import type { BatchProgress } from '../events.ts';
import type { PlanItem } from '../plan.ts';
import type { RunContext } from './run-context.ts';

/** The connection's checkpoint store, or `INVALID_CONFIG` naming the unit when the driver has none. */
export function requireCheckpoints(run: RunContext, item: PlanItem): CheckpointStore {
  const store = run.connection.checkpoints;
  if (store !== undefined) return store;
  const { model } = item.unit;
  throw new MongockError(
    'INVALID_CONFIG',
    `Change unit '${model.id}'${model.source === undefined ? '' : ` (in ${model.source})`} is batched, but the ${run.config.driver.name} driver has no checkpoint store. ` +
      'Use a bundled driver, or give the driver a `checkpoints` store (see docs/batched-changes.md).',
    { changeId: item.changeId, author: item.unit.author, file: model.source },
  );
}

/** The checkpoint of `item`, if any. */
export function checkpointOf(checkpoints: readonly BatchCheckpoint[], item: PlanItem): BatchCheckpoint | undefined {
  return checkpoints.find((checkpoint) => checkpoint.changeId === item.changeId && checkpoint.author === item.unit.author);
}

/**
 * Whether `checkpoint` is work to resume in `direction`: running, and not settled by the history.
 * A crash between a non-transactional step's entry and its final checkpoint leaves a `running`
 * checkpoint next to the entry of the same execution: that one is finished, not resumable.
 * `history`: the one the operation read under the lock (an entry settling a running checkpoint
 * is always from an earlier run, so this run's own writes do not change the answer).
 */
export function isResumable(history: readonly ChangeEntry[], checkpoint: BatchCheckpoint | undefined, direction: BatchDirection): boolean {
  if (checkpoint === undefined || checkpoint.state !== 'running' || checkpoint.direction !== direction) return false;
  const settledAs = direction === 'execute' ? 'EXECUTED' : 'ROLLED_BACK';
  return !history.some(
    (entry) =>
      entry.changeId === checkpoint.changeId && entry.author === checkpoint.author && entry.executionId === checkpoint.executionId && entry.state === settledAs,
  );
}

/** A checkpoint before the first batch. `untilKey`: a rollback of a half-done unit stops there. */
export function freshCheckpoint(run: RunContext, item: PlanItem, direction: BatchDirection, untilKey: string | null): BatchCheckpoint {
  const now = new Date();
  return {
    changeId: item.changeId,
    author: item.unit.author,
    direction,
    executionId: run.executionId,
    lastKey: null,
    untilKey,
    batches: 0,
    processed: 0,
    estimatedTotal: null,
    state: 'running',
    startedAt: now,
    updatedAt: now,
  };
}

/** The checkpoint after one more batch of `count` items ending at `lastKey`. */
export function advance(run: RunContext, checkpoint: BatchCheckpoint, count: number, lastKey: string | null, estimatedTotal: number | null): BatchCheckpoint {
  return {
    ...checkpoint,
    executionId: run.executionId,
    lastKey: count > 0 ? lastKey : checkpoint.lastKey,
    batches: checkpoint.batches + (count > 0 ? 1 : 0),
    processed: checkpoint.processed + count,
    estimatedTotal,
    updatedAt: new Date(),
  };
}

/** The `batch-progress` payload: totals from the checkpoint, the rate of this run. */
export function progressOf(item: PlanItem, checkpoint: BatchCheckpoint, processedHere: number, elapsedMs: number, done: boolean): BatchProgress {
  const ratePerSecond = elapsedMs > 0 ? Math.round((processedHere / elapsedMs) * 1000 * 10) / 10 : 0;
  const total = checkpoint.estimatedTotal;
  const left = total === null ? undefined : Math.max(0, total - checkpoint.processed);
  return Object.freeze({
    changeId: item.changeId,
    author: item.unit.author,
    direction: checkpoint.direction,
    batches: checkpoint.batches,
    processed: checkpoint.processed,
    ...(total === null ? {} : { estimatedTotal: total }),
    ratePerSecond,
    ...(left === undefined || ratePerSecond <= 0 ? {} : { etaMs: done ? 0 : Math.round((left / ratePerSecond) * 1000) }),
    done,
  });
}

/** How long to wait after a batch that took `batchMs`. */
export function pauseAfter(step: Batched<never>, batchMs: number): number {
  const { pauseMs } = step;
  return typeof pauseMs === 'number' ? pauseMs : Math.round(pauseMs.adaptive * batchMs);
}

/** The key codec of a step's source: its own, else JSON. */
export function keyCodec(step: Batched<never>): { encode(key: unknown): string; decode(text: string): unknown } {
  const { source } = step;
  return {
    encode: (key) => (source.encodeKey === undefined ? JSON.stringify(key) : source.encodeKey(key)),
    decode: (text) => (source.decodeKey === undefined ? JSON.parse(text) : source.decodeKey(text)),
  };
}
