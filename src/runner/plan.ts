import type { ChangeStep } from '../change/change-unit.ts';
import { checksumsOf, sameCodes } from '../change/checksum.ts';
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
  /** Computed on first use (see `primeChecksums`): start-up with nothing pending never needs it. */
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
    const items: PlanItem[] = [];
    if (model.steps.before !== undefined) {
      const changeId = `${model.id}_before`;
      items.push(planItem(unit, changeId, 'BEFORE_EXECUTION', model.steps.before, model.steps.rollbackBefore, executed.has(entryKey(changeId, author))));
    }
    items.push(planItem(unit, model.id, 'EXECUTION', model.steps.execution, model.steps.rollback, executed.has(unit.key)));
    return { unit, items, pending: model.runAlways || items.some((item) => !item.executed) };
  });
}

function planItem(unit: SelectedUnit, changeId: string, type: ChangeType, step: ChangeStep, rollback: ChangeStep | undefined, executed: boolean): PlanItem {
  return new LazyPlanItem(unit, changeId, type, step, rollback, executed);
}

/** A class rather than a literal with a getter: one is made per unit at every start-up. */
class LazyPlanItem implements PlanItem {
  constructor(
    readonly unit: SelectedUnit,
    readonly changeId: string,
    readonly type: ChangeType,
    readonly step: ChangeStep,
    readonly rollback: ChangeStep | undefined,
    readonly executed: boolean,
  ) {}

  get checksum(): string {
    return checksumsOf([this.unit.model])[0]!;
  }
}

/** Computes, in one compiler call, the checksums of every unit that has something to run. */
export function primeChecksums(plans: readonly UnitPlan[]): void {
  checksumsOf(plans.filter((plan) => plan.pending).map((plan) => plan.unit.model));
}

/** Executed units whose code differs from what their deciding entry recorded. */
export function changedUnits<T extends SelectedUnit>(units: readonly T[], history: readonly ChangeEntry[]): T[] {
  const decisive = latestDecisiveEntries(history);
  const recorded: { unit: T; recorded: string; model: SelectedUnit['model'] }[] = [];
  for (const unit of units) {
    const entry = decisive.get(unit.key);
    if (entry?.state === 'EXECUTED' && entry.checksum != null) recorded.push({ unit, recorded: entry.checksum, model: unit.model });
  }
  const same = sameCodes(recorded);
  return recorded.filter((_, i) => !same[i]).map(({ unit }) => unit);
}

/** Whether any unit has something to run, without building plans (the start-up path). */
export function anyPending(units: readonly SelectedUnit[], history: readonly ChangeEntry[]): boolean {
  const executed = executedKeys(history);
  return units.some(
    (unit) =>
      unit.model.runAlways ||
      !executed.has(unit.key) ||
      (unit.model.steps.before !== undefined && !executed.has(entryKey(`${unit.model.id}_before`, unit.author))),
  );
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
      changed: changed.has(plan.unit),
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
