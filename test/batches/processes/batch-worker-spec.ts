/** Where a batch worker stops itself: a real signal at a named point of a batched unit. */
export type CrashPoint =
  /** In the `batch-progress` listener: the batch and its checkpoint are committed. */
  | 'boundary'
  /** Inside `apply`, after the first half of the batch's writes. */
  | 'mid-batch'
  /** Inside `apply`, after all of the batch's writes, before the runner saves its checkpoint. */
  | 'after-apply'
  /**
   * In the `batch-progress` listener of the unit's last batch (`done`): its checkpoint is saved as
   * done and its EXECUTED entry handed to the store, but on MongoDB without transactions that entry
   * is only queued, to ride in the next fenced lock-document update (the marker's clearing), which
   * has not been sent yet.
   */
  | 'last-boundary';

export interface Crash {
  readonly at: CrashPoint;
  /** The n-th batch this process runs (1-based). */
  readonly batch: number;
  /** SIGKILL: dies there. SIGSTOP: stopped there until the test sends SIGCONT, then goes on. */
  readonly signal: 'SIGKILL' | 'SIGSTOP';
}

/** What one batch worker process does (test/batches/processes/batch-worker.ts). */
export interface BatchWorkerSpec {
  readonly driver: 'sqlite' | 'mongodb' | 'postgres';
  /** SQLite file, MongoDB `uri|database`, PostgreSQL `url|schema` (as test/reliability's worker). */
  readonly target: string;
  /** Items per batch. */
  readonly size: number;
  readonly pauseMs?: number;
  /** The runner's time budget (`setMaxRunMs`): counts from `execute()`. */
  readonly maxRunMs?: number;
  /** The unit's own `maxRunMs`: counts from the unit's start. */
  readonly unitMaxRunMs?: number;
  readonly lease?: number;
  readonly quit?: number;
  readonly crash?: Crash;
  /** Print a `BATCH` line every n batches (default 1). */
  readonly reportEvery?: number;
  /** Run through `executeInBackground({ sliceMs })` instead of `execute()`; `stopAtBatch`: call `stop()` after the n-th batch here. */
  readonly background?: { readonly sliceMs?: number; readonly stopAtBatch?: number };
  /** `apply` throws at the n-th batch this process runs (after none of its writes). */
  readonly failAtBatch?: number;
  /**
   * A plain unit `seed-soft` (`failFast: false`), ordered before the batched one, throws at every
   * attempt; the final line counts its attempts in this process (`softAttempts`).
   */
  readonly softFailFirst?: boolean;
}

/** The batched unit every worker runs: it adds 1 to the marker `n` of each item of table/collection `items`. */
export const UNIT_ID = 'mark-items';
