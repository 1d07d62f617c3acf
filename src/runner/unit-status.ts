import { checksumsOf } from '../change/checksum.ts';
import type { BatchCheckpoint } from '../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { entryKey, latestDecisiveEntries, latestEntries } from '../history/is-executed.ts';
import { type ManualResolution, manualResolutionOf } from '../history/manual-resolution.ts';
import { type BatchStatus, batchStatusOf } from './batch-status.ts';
import { changedUnits, executionItem, type PlanItem, type UnitPlan } from './plan.ts';

/** What `status` reports for one unit. */
export type UnitState = 'executed' | 'pending' | 'failed' | 'rolled-back';

/**
 * One change unit as `status()` reports it: its id, order and state, with the last history entry's
 * details.
 */
export interface UnitStatus {
  readonly changeId: string;
  readonly author: string;
  readonly order: string;
  readonly state: UnitState;
  /** Executed, and its code's checksum differs from the one recorded. */
  readonly changed: boolean;
  readonly runAlways: boolean;
  /** The unit's system version and profiles, for filters (the dashboard's unit table). */
  readonly systemVersion: string;
  readonly profiles: readonly string[];
  readonly executedAt: Date | null;
  readonly executionMillis: number | null;
  readonly executionHostname: string | null;
  readonly checksum: string;
  readonly recordedChecksum: string | null;
  readonly source: string | undefined;
  /** The state of the unit's `@AfterExecution` step (`<id>_after`); null when it has none. */
  readonly afterStep: 'executed' | 'pending' | 'failed' | null;
  /** Set when the deciding entry is a human's `mongock mark`: who, when (database time) and why. */
  readonly manual: (ManualResolution & { readonly at: Date }) | null;
  /** A batched unit's progress (its checkpoint); null for other units and before its first run. */
  readonly batch: BatchStatus | null;
}

/** Each unit's state from the history (and batched units' progress from `checkpoints`), for `status` and checksum checks. */
export function unitStatuses(plans: readonly UnitPlan[], history: readonly ChangeEntry[], checkpoints: readonly BatchCheckpoint[] = []): UnitStatus[] {
  checksumsOf(plans.map((plan) => plan.unit.model));
  const changed = new Set(
    changedUnits(
      plans.map((plan) => plan.unit),
      history,
    ),
  );
  const decisive = latestDecisiveEntries(history);
  const latest = latestEntries(history);
  return plans.map((plan) => {
    const { unit, items } = plan;
    const execution = executionItem(plan);
    const after = items.find((item) => item.role === 'after');
    const deciding = decisive.get(unit.key);
    const newest = latest.get(unit.key);
    let state: UnitState = 'pending';
    if (execution.executed) state = 'executed';
    else if (newest?.state === 'FAILED' || newest?.state === 'ROLLBACK_FAILED') state = 'failed';
    else if (deciding?.state === 'ROLLED_BACK') state = 'rolled-back';
    const recordedChecksum = execution.executed ? (deciding?.checksum ?? null) : null;
    return {
      changeId: unit.model.id,
      author: unit.author,
      order: unit.model.orderKey.filter((part) => part !== '').join('/'),
      state,
      changed: changed.has(plan.unit),
      runAlways: unit.model.runAlways,
      systemVersion: unit.model.systemVersion,
      profiles: unit.model.profiles,
      executedAt: execution.executed ? (deciding?.timestamp ?? null) : null,
      executionMillis: execution.executed ? (deciding?.executionMillis ?? null) : null,
      executionHostname: execution.executed ? (deciding?.executionHostname ?? null) : null,
      checksum: execution.checksum,
      recordedChecksum,
      source: unit.model.source,
      afterStep: after === undefined ? null : after.executed ? 'executed' : afterFailed(after, latest) ? 'failed' : 'pending',
      manual: manualOf(deciding),
      batch: checkpoints.length === 0 ? null : batchStatusOf(plan, checkpoints, history),
    };
  });
}

function afterFailed(after: PlanItem, latest: ReadonlyMap<string, ChangeEntry>): boolean {
  const state = latest.get(entryKey(after.changeId, after.unit.author))?.state;
  return state === 'FAILED' || state === 'ROLLBACK_FAILED';
}

function manualOf(entry: ChangeEntry | undefined): UnitStatus['manual'] {
  const resolution = entry === undefined ? null : manualResolutionOf(entry);
  return resolution === null || entry === undefined ? null : { ...resolution, at: entry.timestamp };
}
