import type { ChangeStep } from '../change/change-unit.ts';
import { computeChecksum } from '../change/checksum.ts';
import type { SelectedUnit } from '../change/select-change-units.ts';
import type { ChangeEntry, ChangeType } from '../history/change-entry.ts';
import { entryKey, executedKeys, latestDecisiveEntries, latestEntries } from '../history/is-executed.ts';

/** One thing the executor runs: a unit's before-step or its execution. */
export interface PlanItem {
  readonly unit: SelectedUnit;
  readonly changeId: string;
  readonly type: ChangeType;
  readonly step: ChangeStep;
  readonly rollback: ChangeStep | undefined;
  readonly checksum: string;
  /** Already executed (then it only runs when `runAlways`, and is not re-recorded). */
  readonly executed: boolean;
}

export interface UnitPlan {
  readonly unit: SelectedUnit;
  /** Before-step first, then the execution. */
  readonly items: readonly PlanItem[];
  /** Something to run: an item not executed, or `runAlways`. */
  readonly pending: boolean;
}

/** Pairs every selected unit with the history: what is executed and what must run. */
export function planUnits(units: readonly SelectedUnit[], history: readonly ChangeEntry[]): UnitPlan[] {
  const executed = executedKeys(history);
  return units.map((unit) => {
    const { model, author } = unit;
    const checksum = computeChecksum(model);
    const items: PlanItem[] = [];
    if (model.steps.before !== undefined) {
      const changeId = `${model.id}_before`;
      items.push({
        unit,
        changeId,
        type: 'BEFORE_EXECUTION',
        step: model.steps.before,
        rollback: model.steps.rollbackBefore,
        checksum,
        executed: executed.has(entryKey(changeId, author)),
      });
    }
    items.push({
      unit,
      changeId: model.id,
      type: 'EXECUTION',
      step: model.steps.execution,
      rollback: model.steps.rollback,
      checksum,
      executed: executed.has(unit.key),
    });
    return { unit, items, pending: model.runAlways || items.some((item) => !item.executed) };
  });
}

/** What `status` reports for one unit. */
export type UnitState = 'executed' | 'pending' | 'failed' | 'rolled-back';

export interface UnitStatus {
  readonly changeId: string;
  readonly author: string;
  readonly order: string;
  readonly state: UnitState;
  /** Executed, and its code's checksum differs from the one recorded. */
  readonly changed: boolean;
  readonly runAlways: boolean;
  readonly executedAt: Date | null;
  readonly executionMillis: number | null;
  readonly executionHostname: string | null;
  readonly checksum: string;
  readonly recordedChecksum: string | null;
  readonly source: string | undefined;
}

/** Each unit's state from the history, for `status` and checksum checks. */
export function unitStatuses(plans: readonly UnitPlan[], history: readonly ChangeEntry[]): UnitStatus[] {
  const decisive = latestDecisiveEntries(history);
  const latest = latestEntries(history);
  return plans.map(({ unit, items }) => {
    const execution = items[items.length - 1]!;
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
      changed: recordedChecksum !== null && recordedChecksum !== execution.checksum,
      runAlways: unit.model.runAlways,
      executedAt: execution.executed ? (deciding?.timestamp ?? null) : null,
      executionMillis: execution.executed ? (deciding?.executionMillis ?? null) : null,
      executionHostname: execution.executed ? (deciding?.executionHostname ?? null) : null,
      checksum: execution.checksum,
      recordedChecksum,
      source: unit.model.source,
    };
  });
}
