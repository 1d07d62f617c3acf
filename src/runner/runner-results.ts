// What the runner's operations return, apart from execute()'s MigrationResult (migration-result.ts).
import type { LockHolder } from '../drivers/driver.ts';
import type { FilteredStatus, IgnoredEntry } from './history-report.ts';
import type { ItemResult } from './migration-result.ts';
import type { UnitStatus } from './unit-status.ts';

/** What `undo()` rolled back, newest first, under which execution id. */
export interface UndoResult {
  readonly executionId: string;
  /** Rolled back, newest first. */
  readonly items: readonly ItemResult[];
}

/** `runner.status()`: every unit with its state, and who holds the lock. Reads only. */
export interface MigrationStatus {
  readonly units: readonly UnitStatus[];
  /** Units in code that profiles or the system-version window leave out, with the reason. */
  readonly filtered: readonly FilteredStatus[];
  /** History entries no unit in code accounts for (renamed or deleted files): the runner ignores them. */
  readonly ignored: readonly IgnoredEntry[];
  readonly lock: LockHolder | null;
}

/** `runner.plan()` / `runner.planUndo()`: the units that would run (or be rolled back), in that order. Nothing is written. */
export interface OperationPlan {
  readonly units: readonly UnitStatus[];
}

/** `runner.validate()`: the units that would take part, in order, with any warnings. */
export interface ValidationReport {
  readonly units: readonly {
    readonly changeId: string;
    readonly author: string;
    /** Display form: `order`, or `changeLogOrder/changeSetOrder`. */
    readonly order: string;
    /** What the runner sorts by, compared as strings left to right: `[order]` or `[changeLogOrder, changeSetOrder]`. */
    readonly orderKey: readonly string[];
    readonly source: string | undefined;
  }[];
  readonly warnings: readonly string[];
}

/**
 * What `unlock()` found and did: the holder it saw (null when nobody held the lock) and whether it
 * released it.
 */
export interface UnlockResult {
  readonly holder: LockHolder | null;
  readonly released: boolean;
}
