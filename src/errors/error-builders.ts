import { errorMessage, isMongockError, MongockError, type MongockOperation } from './mongock-error.ts';

/** The change an error is about, as the runner knows it. */
export interface FailedChange {
  readonly changeId: string;
  readonly author: string;
  /** The file the unit came from, when loaded from a scan path. */
  readonly file: string | undefined;
}

/** A change that a crashed run left half-done outside a transaction (the lock's in-progress marker). */
export interface InterruptedChangeFacts {
  readonly changeId: string;
  readonly author: string;
  readonly executionId: string;
  readonly hostname: string;
  readonly startedAt: Date;
  /** What that run recorded for the change before it ended, when it recorded a failure. */
  readonly recorded?: 'FAILED' | 'ROLLBACK_FAILED';
}

/**
 * `LOCK_LOST`: the lock went away while `operation` was running. A `LOCK_LOST` error already
 * built (by a driver's fencing check or the lock manager) is kept, and given the operation.
 */
export function lockLostError(cause: unknown, operation?: MongockOperation): MongockError {
  if (isMongockError(cause, 'LOCK_LOST')) {
    if (cause.operation !== undefined || operation === undefined) return cause;
    return new MongockError('LOCK_LOST', cause.message, { ...details(cause), operation, cause: cause.cause });
  }
  return new MongockError('LOCK_LOST', `The Mongock lock was lost while a change was running (${errorMessage(cause)}); stopping. Run again to finish.`, {
    operation,
    cause,
  });
}

/**
 * `CHANGE_FAILED` when `change` threw during `operation`; `ROLLBACK_FAILED` when its rollback
 * threw too, which leaves the database possibly half-changed.
 */
export function changeFailedError(change: FailedChange, error: unknown, rollbackError: unknown, operation: MongockOperation): MongockError {
  const where = change.file === undefined ? '' : ` (${change.file})`;
  const facts = { changeId: change.changeId, author: change.author, file: change.file, cause: error };
  const failed = `Change '${change.changeId}' by '${change.author}'${where} failed: ${errorMessage(error)}`;
  if (rollbackError === undefined)
    return new MongockError(isMongockError(error, 'CHANGE_TIMEOUT') ? 'CHANGE_TIMEOUT' : 'CHANGE_FAILED', failed, { ...facts, operation });
  return new MongockError(
    'ROLLBACK_FAILED',
    `${failed}; then its rollback failed too: ${errorMessage(rollbackError)}. The database may hold part of the change; check it before running again.`,
    { ...facts, operation: 'rollback' },
  );
}

/**
 * `CHANGE_FAILED` for an after-step (`<id>_after`): its unit committed and stays EXECUTED; the
 * after-step is recorded FAILED and runs again on the next migration.
 */
export function afterStepFailedError(step: FailedChange, unitId: string, error: unknown): MongockError {
  const where = step.file === undefined ? '' : ` (${step.file})`;
  return new MongockError(
    'CHANGE_FAILED',
    `After-step '${step.changeId}' of change '${unitId}' by '${step.author}'${where} failed: ${errorMessage(error)}. The change itself committed and stays EXECUTED; the after-step is recorded FAILED and runs again on the next migration.`,
    { changeId: step.changeId, author: step.author, file: step.file, operation: 'execute', cause: error },
  );
}

/** The error a step gets when it is still running after `timeoutMs` (the unit's, else `executionTimeoutMs`). */
export function changeTimeoutError(change: FailedChange, step: string, timeoutMs: number): MongockError {
  return new MongockError(
    'CHANGE_TIMEOUT',
    `its ${step} step did not finish within ${timeoutMs} ms (the unit's timeoutMs, else executionTimeoutMs), so it was stopped; whatever it still does is refused by the lock guard. ` +
      'Make the step finish (a promise that never settles hangs the run), or raise the timeout.',
    { changeId: change.changeId, author: change.author, file: change.file },
  );
}

/** `UNDO_FAILED`: `undo()` could not roll `change` back. */
export function undoFailedError(change: FailedChange, error: unknown): MongockError {
  return new MongockError(
    'UNDO_FAILED',
    `Rolling back '${change.changeId}' by '${change.author}' failed: ${errorMessage(error)}. Units rolled back before it stay rolled back.`,
    { changeId: change.changeId, author: change.author, file: change.file, operation: 'undo', cause: error },
  );
}

/** What happened to an interrupted change, as its run left it: for messages and the ROLLED_BACK entry's error. */
export function interruptionFacts(change: InterruptedChangeFacts): string {
  const run = `its run (execution ${change.executionId} on ${change.hostname}, started ${change.startedAt.toISOString()})`;
  switch (change.recorded) {
    case 'ROLLBACK_FAILED':
      return `it failed and its rollback failed too: ${run} recorded ROLLBACK_FAILED and left it unfinished`;
    case 'FAILED':
      return `it failed: ${run} recorded FAILED and stopped before rolling it back`;
    case undefined:
      return `the process running it (execution ${change.executionId} on ${change.hostname}, started ${change.startedAt.toISOString()}) stopped before recording it`;
  }
}

/** `CHANGE_INTERRUPTED`: a crashed run left `change` half-done and it cannot (or may not) be rolled back here. */
export function interruptedChangeError(change: InterruptedChangeFacts): MongockError {
  return new MongockError(
    'CHANGE_INTERRUPTED',
    `Change '${change.changeId}' by '${change.author}' was interrupted: ${interruptionFacts(change)}, and it ran outside a transaction, so its effects may be partial. ` +
      'Check the data (its rollback method may help), then clear the marker with `mongock unlock --force` (or runner.unlock({ force: true })); the unit runs again on the next migration. ' +
      "With onInterruptedChange: 'rollback' (the default) and a rollback method, Mongock rolls such a change back and applies it again by itself.",
    { changeId: change.changeId, author: change.author },
  );
}

function details(error: MongockError) {
  return { changeId: error.changeId, author: error.author, file: error.file, problems: error.problems };
}

/**
 * `LOCK_LOST` raised by a driver's fencing check: the write of `lease`'s holder was refused because
 * `lock` (e.g. 'the SQLite lock') is no longer theirs, for `reason` when the driver knows it.
 *
 * @example A driver's fenced write that matched no lock row.
 * ```ts
 * import { type LockLease, leaseLostError } from 'mongock/driver';
 *
 * function checkFence(matchedRows: number, lease: LockLease): void {
 *   if (matchedRows !== 1) throw leaseLostError(lease, 'the Redis lock', 'another process holds it now');
 * }
 * ```
 */
export function leaseLostError(lease: { readonly owner: string; readonly fence: number }, lock: string, reason?: string): MongockError {
  const why = reason === undefined ? '' : ` (${reason})`;
  return new MongockError(
    'LOCK_LOST',
    `Lock lost: owner ${lease.owner} (fence ${lease.fence}) no longer holds ${lock}${why}; the write was refused. Run again to finish.`,
  );
}
