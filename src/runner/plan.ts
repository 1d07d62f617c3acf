import type { ChangeStep } from '../change/change-unit.ts';
import { checksumsOf, checksumsReady, sameCodes } from '../change/checksum.ts';
import type { SelectedUnit } from '../change/select-change-units.ts';
import type { ChangeEntry, ChangeType } from '../history/change-entry.ts';
import { entryKey, executedKeys, latestDecisiveEntries } from '../history/is-executed.ts';

/** Which step of its unit an item is: `before` and `after` run outside the unit's transaction. */
export type StepRole = 'before' | 'execution' | 'after';

/** One thing the executor runs: a unit's before-step, its execution, or its after-step. */
export interface PlanItem {
  readonly unit: SelectedUnit;
  readonly changeId: string;
  /** Recorded as the entry's type: after-steps are EXECUTION (Java Mongock knows only two types). */
  readonly type: ChangeType;
  readonly role: StepRole;
  readonly step: ChangeStep;
  readonly rollback: ChangeStep | undefined;
  /** Computed on first use (see `primeChecksums`): start-up with nothing pending never needs it. */
  readonly checksum: string;
  /** Already executed (then it only runs when `runAlways`, and is not re-recorded). */
  readonly executed: boolean;
}

/**
 * What a failure of a unit does to the run: `stop` it (fail fast: roll back and throw),
 * `continue` with the next unit (`failFast: false`), or `skip-group`: skip the rest of the
 * unit's group (a legacy ChangeLog whose own `failFast` is false).
 */
export type FailurePolicy = 'stop' | 'continue' | 'skip-group';

export interface UnitPlan {
  readonly unit: SelectedUnit;
  /** Before-step first, then the execution, then the after-step. */
  readonly items: readonly PlanItem[];
  /** Something to run: an item not executed, or `runAlways`. */
  readonly pending: boolean;
  readonly onFailure: FailurePolicy;
  /** Units failing together: the ChangeSets of one legacy ChangeLog; undefined for the other forms. */
  readonly group: string | undefined;
}

/** Pairs every selected unit with the history: what is executed and what must run. */
export function planUnits(units: readonly SelectedUnit[], history: readonly ChangeEntry[]): UnitPlan[] {
  const executed = executedKeys(history);
  return units.map((unit) => {
    const { model, author } = unit;
    const items: PlanItem[] = [];
    if (model.steps.before !== undefined) {
      const changeId = `${model.id}_before`;
      items.push(
        planItem(unit, changeId, 'BEFORE_EXECUTION', 'before', model.steps.before, model.steps.rollbackBefore, executed.has(entryKey(changeId, author))),
      );
    }
    items.push(planItem(unit, model.id, 'EXECUTION', 'execution', model.steps.execution, model.steps.rollback, executed.has(unit.key)));
    if (model.steps.after !== undefined) {
      const changeId = afterStepId(model.id);
      items.push(planItem(unit, changeId, 'EXECUTION', 'after', model.steps.after, model.steps.rollbackAfter, executed.has(entryKey(changeId, author))));
    }
    const group = model.form === 'change-set' ? model.className : undefined;
    return { unit, items, pending: model.runAlways || items.some((item) => !item.executed), onFailure: failurePolicy(unit), group };
  });
}

/** The legacy ChangeLog rules, decided here so that the executor never asks which form a unit was written in. */
function failurePolicy({ model }: SelectedUnit): FailurePolicy {
  if (!model.failFast) return 'continue';
  return model.form === 'change-set' && !model.changeLogFailFast ? 'skip-group' : 'stop';
}

/** The history id of a unit's after-step. */
export function afterStepId(id: string): string {
  return `${id}_after`;
}

/** The unit's own execution item (its before- and after-steps are the others). */
export function executionItem(plan: UnitPlan): PlanItem {
  return plan.items.find((item) => item.role === 'execution')!;
}

function planItem(
  unit: SelectedUnit,
  changeId: string,
  type: ChangeType,
  role: StepRole,
  step: ChangeStep,
  rollback: ChangeStep | undefined,
  executed: boolean,
): PlanItem {
  return new LazyPlanItem(unit, changeId, type, role, step, rollback, executed);
}

/** A class rather than a literal with a getter: one is made per unit at every start-up. */
class LazyPlanItem implements PlanItem {
  constructor(
    readonly unit: SelectedUnit,
    readonly changeId: string,
    readonly type: ChangeType,
    readonly role: StepRole,
    readonly step: ChangeStep,
    readonly rollback: ChangeStep | undefined,
    readonly executed: boolean,
  ) {}

  get checksum(): string {
    return checksumsOf([this.unit.model])[0]!;
  }
}

/** Computes, in one compiler call (esbuild's asynchronous API), the checksums of every unit that has something to run. */
export function primeChecksums(plans: readonly UnitPlan[]): Promise<void> {
  return checksumsReady(plans.filter((plan) => plan.pending).map((plan) => plan.unit.model));
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
      (unit.model.steps.before !== undefined && !executed.has(entryKey(`${unit.model.id}_before`, unit.author))) ||
      (unit.model.steps.after !== undefined && !executed.has(entryKey(afterStepId(unit.model.id), unit.author))),
  );
}
