import type { ChangeType } from '../history/change-entry.ts';
import type { Logger } from '../log/logger.ts';
import { monotonicNow } from '../runtime/monotonic-now.ts';

/**
 * What happened to one change item in a run. `recovered`: a change a crashed run left half-done
 * outside a transaction was rolled back by this run (which then applies it again, reported as
 * `executed`): a recovery, not a failure. `in-progress`: a batched unit stopped at its time budget
 * (`maxRunMs`) with its checkpoint saved; the next run resumes it.
 */
export type ItemOutcome = 'executed' | 'skipped' | 'failed' | 'rolled-back' | 'rollback-failed' | 'ignored' | 'recovered' | 'in-progress';

/** What happened to one change item (a unit's execution, its before-step or after-step) in a run. */
export interface ItemResult {
  readonly changeId: string;
  readonly author: string;
  readonly type: ChangeType;
  readonly outcome: ItemOutcome;
  /** Why it was skipped: already executed, or not run because an earlier item failed. */
  readonly reason?: 'already-executed' | 'not-reached';
  readonly durationMs: number;
  readonly error?: unknown;
}

/**
 * The typed result of `runner.execute()`.
 * - `disabled`: `enabled: false`, nothing was touched.
 * - `up-to-date`: nothing was pending; no lock was taken.
 * - `lock-not-acquired`: another runner held the lock and `throwExceptionIfCannotObtainLock` is false.
 * - `completed`: pending units ran (some may have failed with `failFast: false`).
 * - `in-progress`: a batched unit stopped at the time budget (`maxRunMs`) at a batch boundary,
 *   its checkpoint saved and the lock released; the units after it did not run. Not a failure:
 *   the next run (or `executeInBackground()`) resumes it.
 */
export interface MigrationResult {
  readonly status: 'disabled' | 'up-to-date' | 'lock-not-acquired' | 'completed' | 'in-progress';
  readonly executionId: string;
  readonly items: readonly ItemResult[];
  readonly executed: number;
  readonly failed: number;
  /** Interrupted changes of a crashed run that this run rolled back (and applied again). */
  readonly recovered: number;
  readonly durationMs: number;
}

const NOT_FAILURES: ReadonlySet<ItemOutcome> = new Set(['executed', 'skipped', 'ignored', 'recovered', 'in-progress']);

/** The frozen result of one `execute()`, counted from its items. */
export function migrationResult(status: MigrationResult['status'], executionId: string, items: readonly ItemResult[], startedAt: number): MigrationResult {
  return Object.freeze({
    status,
    executionId,
    items: Object.freeze([...items]),
    executed: items.filter((item) => item.outcome === 'executed').length,
    failed: items.filter((item) => !NOT_FAILURES.has(item.outcome)).length,
    recovered: items.filter((item) => item.outcome === 'recovered').length,
    durationMs: Math.round(monotonicNow() - startedAt),
  });
}

/** The one info line of a completed run (other outcomes are told by their own events and errors). */
export function logCompleted(result: MigrationResult, logger: Logger): void {
  if (result.status !== 'completed') return;
  const skipped = result.items.filter((item) => item.outcome === 'skipped').length;
  logger.info(`Migration ${result.executionId} finished in ${result.durationMs} ms: ${result.executed} executed, ${result.failed} failed, ${skipped} skipped.`);
}
