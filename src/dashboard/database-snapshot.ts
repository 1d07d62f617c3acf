import { entryKey } from '../change/change-key.ts';
import type { LockHolder } from '../drivers/driver.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import type { ManualResolution } from '../history/manual-resolution.ts';
import type { BatchStatus } from '../runner/batch-status.ts';
import type { UnitState, UnitStatus } from '../runner/unit-status.ts';
import { type ExecutionView, groupExecutions } from './group-executions.ts';

/**
 * What the dashboard knows of one database at one moment: the API's and the page's model. A
 * configuration with many databases (tenants) is a list of these; nothing here assumes one.
 */
export interface DatabaseSnapshot {
  readonly summary: DatabaseSummary;
  readonly units: readonly UnitView[];
  readonly executions: readonly ExecutionView[];
  readonly durations: readonly DurationPoint[];
  readonly lock: LockView | null;
}

/** The overview card: `failed` before `locked` before `pending` before `up-to-date`. */
export type DatabaseState = 'up-to-date' | 'pending' | 'failed' | 'locked' | 'error';

/** One database on the dashboard's overview: its state, unit counts, lock and last run. */
export interface DatabaseSummary {
  readonly name: string;
  readonly driver: string;
  readonly state: DatabaseState;
  readonly counts: UnitCounts;
  readonly locked: boolean;
  readonly lastRun: ExecutionView | null;
  /** Why the database could not be read (`error`), passwords removed. */
  readonly error: string | null;
}

/** How many units a database has in each state. */
export interface UnitCounts {
  readonly total: number;
  readonly executed: number;
  readonly pending: number;
  readonly failed: number;
  readonly rolledBack: number;
  /** Executed units whose code changed since they ran (checksum drift). */
  readonly changed: number;
}

/**
 * One change unit: the runner's {@link UnitStatus} as JSON (dates as ISO strings), without the
 * fields the page does not show, plus the newest error. `state` is the runner's (`mongock
 * status`), except that a unit whose last attempt failed is `failed` even where Mongock rolled it
 * back (databases without transactions record that ROLLED_BACK, with the error): either way it
 * runs again on the next migration.
 */
export type UnitView = Omit<UnitStatus, 'executedAt' | 'source' | 'afterStep' | 'manual' | 'batch'> & {
  readonly executedAt: string | null;
  /** A batched unit's progress (its checkpoint), dates as ISO strings; null for other units. */
  readonly batch: BatchView | null;
  /** Set when the deciding entry is a human's mark (`mongock mark`, or the dashboard's action). */
  readonly manual: ManualView | null;
  /** A unit not executed: its newest FAILED, ROLLBACK_FAILED or ROLLED_BACK entry, with its error trace. */
  readonly lastError: UnitError | null;
};

export type BatchView = Omit<BatchStatus, 'startedAt' | 'updatedAt'> & { readonly startedAt: string; readonly updatedAt: string };

export type ManualView = Omit<ManualResolution, 'manual'> & { readonly at: string };

/** The last failure of a unit: its state, when, in which execution, and the error trace. */
export interface UnitError {
  readonly state: 'FAILED' | 'ROLLBACK_FAILED' | 'ROLLED_BACK';
  readonly at: string;
  readonly executionId: string;
  readonly trace: string | null;
}

/** One point of the durations chart: an EXECUTED entry. */
export interface DurationPoint {
  readonly changeId: string;
  readonly author: string;
  readonly executionId: string;
  readonly at: string;
  readonly durationMs: number;
}

/** The lock as the dashboard shows it: holder, times as ISO text, and whether the lease has run out. */
export interface LockView {
  readonly owner: string;
  readonly hostname: string;
  readonly acquiredAt: string | null;
  readonly expiresAt: string | null;
  readonly expired: boolean;
  /** Since `acquiredAt`, by this process's clock; null when the driver does not say. */
  readonly heldForMs: number | null;
  readonly inProgress: {
    readonly changeId: string;
    readonly author: string;
    readonly executionId: string;
    readonly startedAt: string;
    readonly hostname: string;
  } | null;
}

export interface SnapshotInput {
  readonly name: string;
  readonly driver: string;
  readonly units: readonly UnitStatus[];
  readonly history: readonly ChangeEntry[];
  readonly lock: LockHolder | null;
  readonly serviceIdentifier: string | undefined;
  readonly now: Date;
}

const ERROR_STATES: ReadonlySet<string> = new Set(['FAILED', 'ROLLBACK_FAILED', 'ROLLED_BACK']);

/** Builds the snapshot from what the runner's status and the history say. */
export function buildSnapshot(input: SnapshotInput): DatabaseSnapshot {
  const errors = newestErrors(input.history);
  const units = input.units.map((unit) => unitView(unit, errors.get(entryKey(unit.changeId, unit.author))));
  const executions = groupExecutions(input.history, input.serviceIdentifier);
  const lock = lockView(input.lock, input.now);
  const counts = countUnits(units);
  return {
    summary: {
      name: input.name,
      driver: input.driver,
      state: databaseState(counts, lock !== null),
      counts,
      locked: lock !== null,
      lastRun: executions[0] ?? null,
      error: null,
    },
    units,
    executions,
    durations: durationPoints(input.history),
    lock,
  };
}

/** The card of a database that could not be read. */
export function errorSummary(name: string, driver: string, error: string): DatabaseSummary {
  return {
    name,
    driver,
    state: 'error',
    counts: { total: 0, executed: 0, pending: 0, failed: 0, rolledBack: 0, changed: 0 },
    locked: false,
    lastRun: null,
    error,
  };
}

function databaseState(counts: UnitCounts, locked: boolean): DatabaseState {
  if (counts.failed > 0) return 'failed';
  if (locked) return 'locked';
  if (counts.pending + counts.rolledBack > 0) return 'pending';
  return 'up-to-date';
}

function countUnits(units: readonly UnitView[]): UnitCounts {
  const count = (state: UnitState): number => units.filter((unit) => unit.state === state).length;
  return {
    total: units.length,
    executed: count('executed'),
    pending: count('pending'),
    failed: count('failed'),
    rolledBack: count('rolled-back'),
    changed: units.filter((unit) => unit.changed).length,
  };
}

/** Per (changeId, author), the newest FAILED, ROLLBACK_FAILED or ROLLED_BACK entry: one pass over the history. */
function newestErrors(history: readonly ChangeEntry[]): Map<string, ChangeEntry> {
  const newest = new Map<string, ChangeEntry>();
  for (const entry of history) {
    if (!ERROR_STATES.has(entry.state)) continue;
    const key = entryKey(entry.changeId, entry.author);
    const seen = newest.get(key);
    if (seen === undefined || entry.timestamp.getTime() >= seen.timestamp.getTime()) newest.set(key, entry);
  }
  return newest;
}

function unitView(unit: UnitStatus, newestError: ChangeEntry | undefined): UnitView {
  // An executed unit's earlier failures are history, shown in the timeline, not on the unit.
  const lastError = unit.state === 'executed' ? undefined : newestError;
  // Without transactions a failed unit is rolled back and recorded ROLLED_BACK with its error: its last attempt failed all the same.
  const failedThenRolledBack = unit.state === 'rolled-back' && lastError?.state === 'ROLLED_BACK' && lastError.errorTrace !== null;
  return {
    changeId: unit.changeId,
    author: unit.author,
    order: unit.order,
    state: failedThenRolledBack ? 'failed' : unit.state,
    changed: unit.changed,
    runAlways: unit.runAlways,
    systemVersion: unit.systemVersion,
    profiles: [...unit.profiles],
    executedAt: unit.executedAt?.toISOString() ?? null,
    executionMillis: unit.executionMillis,
    executionHostname: unit.executionHostname,
    checksum: unit.checksum,
    recordedChecksum: unit.recordedChecksum,
    manual: unit.manual === null ? null : manualView(unit.manual),
    batch: unit.batch === null ? null : { ...unit.batch, startedAt: unit.batch.startedAt.toISOString(), updatedAt: unit.batch.updatedAt.toISOString() },
    lastError:
      lastError === undefined
        ? null
        : {
            state: lastError.state as UnitError['state'],
            at: lastError.timestamp.toISOString(),
            executionId: lastError.executionId,
            trace: lastError.errorTrace,
          },
  };
}

function manualView({ resolution, by, reason, previousState, at }: NonNullable<UnitStatus['manual']>): ManualView {
  return { resolution, by, reason, previousState, at: at.toISOString() };
}

function durationPoints(history: readonly ChangeEntry[]): DurationPoint[] {
  return history
    .filter((entry) => entry.state === 'EXECUTED' && entry.executionMillis >= 0 && !entry.systemChange)
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())
    .map((entry) => ({
      changeId: entry.changeId,
      author: entry.author,
      executionId: entry.executionId,
      at: entry.timestamp.toISOString(),
      durationMs: entry.executionMillis,
    }));
}

/** The lock as the page shows it. */
export function lockView(holder: LockHolder | null, now: Date): LockView | null {
  if (holder === null) return null;
  const progress = holder.inProgress;
  return {
    owner: holder.owner,
    hostname: holder.hostname,
    acquiredAt: holder.acquiredAt?.toISOString() ?? null,
    expiresAt: holder.expiresAt?.toISOString() ?? null,
    expired: holder.expired,
    heldForMs: holder.acquiredAt === null ? null : Math.max(0, now.getTime() - holder.acquiredAt.getTime()),
    inProgress: progress === null ? null : { ...progress, startedAt: progress.startedAt.toISOString() },
  };
}
