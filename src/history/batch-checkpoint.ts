/**
 * How far a batched step got: one record per (changeId, author), kept in the checkpoint store
 * next to the history (`<history name>_checkpoints`; see docs/batched-changes.md). Not a history
 * entry: the history gets one entry, when the step completes, in Java Mongock's states only.
 */
export interface BatchCheckpoint {
  readonly changeId: string;
  readonly author: string;
  /** Which step the batches belong to: the unit's `execute`, or its `rollback` (undo). */
  readonly direction: BatchDirection;
  /** The execution that wrote it last (its EXECUTED / ROLLED_BACK entry, when written, has the same id). */
  readonly executionId: string;
  /** The last key done, in the source's text form (`encodeKey`); null before the first batch. */
  readonly lastKey: string | null;
  /** For a rollback of a half-done unit: the execute checkpoint's last key, which it does not go past. */
  readonly untilKey: string | null;
  readonly batches: number;
  readonly processed: number;
  readonly estimatedTotal: number | null;
  /** `done`: the step completed (its history entry is written); `running`: resume after `lastKey`. */
  readonly state: BatchCheckpointState;
  readonly startedAt: Date;
  readonly updatedAt: Date;
}

/** Which way a batched step was walking its source when its checkpoint was written. */
export type BatchDirection = 'execute' | 'rollback';
/** `running`: the step stopped part-way and resumes after `lastKey`; `done`: every batch committed. */
export type BatchCheckpointState = 'running' | 'done';

/** The checkpoint store's name: the history's, with this suffix. */
export const CHECKPOINT_SUFFIX = '_checkpoints';

/**
 * The checkpoint store of a history store named `historyName`.
 *
 * @example
 * ```ts
 * import { checkpointStoreName, DEFAULT_MIGRATION_REPOSITORY_NAME } from 'mongock/driver';
 *
 * console.log(checkpointStoreName(DEFAULT_MIGRATION_REPOSITORY_NAME)); // mongockChangeLog_checkpoints
 * ```
 */
export function checkpointStoreName(historyName: string): string {
  return `${historyName}${CHECKPOINT_SUFFIX}`;
}
