import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';

/**
 * Which checkpoints a connection has written, by (change id, author): where the next one of the
 * same pass can be a plain `UPDATE` of its progress columns instead of an upsert (a speculative
 * insert, a conflict, then the update). Only a guess: the transaction that wrote the row may have
 * rolled back, or someone deleted it; the UPDATE matches the key and the pass's fixed columns, and
 * a store falls back to the upsert when it matched nothing.
 */
export class WrittenCheckpoints {
  readonly #passes = new Map<string, string>();

  /** Whether a checkpoint of `checkpoint`'s pass (same key and fixed columns) was written here. */
  has(checkpoint: BatchCheckpoint): boolean {
    return this.#passes.get(keyOf(checkpoint)) === passOf(checkpoint);
  }

  /** After a write of `checkpoint` that reported its row. */
  note(checkpoint: BatchCheckpoint): void {
    this.#passes.set(keyOf(checkpoint), passOf(checkpoint));
  }
}

function keyOf(checkpoint: BatchCheckpoint): string {
  return JSON.stringify([checkpoint.changeId, checkpoint.author]);
}

function passOf(checkpoint: BatchCheckpoint): string {
  const { direction, executionId, untilKey, estimatedTotal, startedAt } = checkpoint;
  return JSON.stringify([direction, executionId, untilKey, estimatedTotal, startedAt.getTime()]);
}
