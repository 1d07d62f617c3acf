import { describeUnit, type SelectedUnit } from '../change/select-change-units.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { afterStepId, executionItem, planUnits, type UnitPlan } from './plan.ts';
import type { RunBudget } from './run-budget.ts';

/**
 * Which units one `execute()` may run. At most one of `to`, `step`, `only`:
 * - `to`: every unit up to and including this id (Mongock's migrate up-to-change);
 * - `step`: up to and including the n-th unit with something pending (Flyway's `-target` by count);
 * - `only`: this unit alone, refused while units ordered before it are pending, unless `outOfOrder`.
 */
export interface ExecuteScope {
  readonly to?: string;
  readonly step?: number;
  readonly only?: string;
  readonly outOfOrder?: boolean;
}

/** What `execute()` runs: everything pending, or a part of it (see {@link ExecuteScope}). */
export type ExecuteOptions = ExecuteScope;

/** `{ last: n }` the n newest executed units (`{ step: n }` is the same), `{ to: id }` from id to the newest. */
export type UndoOptions = { readonly to: string } | { readonly last: number } | { readonly step: number };

/** The units in scope, in order. Throws INVALID_CONFIG for an unknown id or a refused `only`. */
export function scopeUnits(units: readonly SelectedUnit[], history: readonly ChangeEntry[], scope: ExecuteScope): readonly SelectedUnit[] {
  checkScope(scope);
  if (scope.to !== undefined) return units.slice(0, indexOf(units, scope.to, 'migrate to') + 1);
  if (scope.step !== undefined) {
    const plans = planUnits(units, history);
    let seen = 0;
    const last = plans.findIndex((plan) => notApplied(plan) && ++seen === scope.step);
    return last === -1 ? units : units.slice(0, last + 1);
  }
  if (scope.only !== undefined) {
    const index = indexOf(units, scope.only, 'run');
    const earlier = planUnits(units.slice(0, index), history).filter(notApplied);
    if (earlier.length > 0 && scope.outOfOrder !== true) {
      const list = earlier.map((plan) => `'${plan.unit.model.id}'`).join(', ');
      throw new MongockError(
        'INVALID_CONFIG',
        `Cannot run only ${describeUnit(units[index]!.model)}: ${earlier.length === 1 ? 'the unit' : `${earlier.length} units`} ordered before it ${earlier.length === 1 ? 'is' : 'are'} pending (${list}). ` +
          'Run them first (`mongock migrate --to <id>`), or run it out of order on purpose with --out-of-order (outOfOrder: true).',
        { changeId: scope.only, problems: earlier.map((plan) => plan.unit.model.id) },
      );
    }
    return [units[index]!];
  }
  return units;
}

/**
 * A background slice's scope: from the unit whose item the slice before stopped in progress at.
 * The units before it were settled by an earlier slice (executed, failed with `failFast: false`,
 * run because `runAlways`): a FAILED entry or `runAlways` leaves a unit pending, and one
 * background run attempts a unit at most once, as one `execute()` does. Unchanged when that
 * unit is not in scope.
 */
export function resumedScope(scoped: readonly SelectedUnit[], at: RunBudget['resumeAt']): readonly SelectedUnit[] {
  if (at === undefined) return scoped;
  const index = scoped.findIndex(
    ({ model: { id }, author }) => author === at.author && (at.changeId === id || at.changeId === `${id}_before` || at.changeId === afterStepId(id)),
  );
  return index === -1 ? scoped : scoped.slice(index);
}

/** A unit whose own steps are not all executed (`runAlways` re-runs do not count as pending work here). */
function notApplied(plan: UnitPlan): boolean {
  return plan.items.some((item) => !item.executed);
}

function indexOf(units: readonly SelectedUnit[], id: string, doing: string): number {
  const index = units.findIndex((unit) => unit.model.id === id);
  if (index === -1)
    throw new MongockError('INVALID_CONFIG', `No change unit with id '${id}' to ${doing}. Check the id (see \`mongock status\`).`, { changeId: id });
  return index;
}

function checkScope(scope: ExecuteScope): void {
  const given = (['to', 'step', 'only'] as const).filter((key) => scope[key] !== undefined);
  if (given.length > 1)
    throw new MongockError('INVALID_CONFIG', `Give at most one of 'to', 'step' and 'only'; got ${given.map((key) => `'${key}'`).join(' and ')}.`);
  if (scope.step !== undefined && !(Number.isInteger(scope.step) && scope.step >= 1))
    throw new MongockError('INVALID_CONFIG', `'step' needs a positive whole number; got ${String(scope.step)}.`);
  if (scope.outOfOrder !== undefined && scope.only === undefined) throw new MongockError('INVALID_CONFIG', "'outOfOrder' goes with 'only'.");
}

/** `undo(options)`: the executed units to roll back, newest first; all must have a rollback method. */
export function selectForUndo(plans: readonly UnitPlan[], given: UndoOptions): UnitPlan[] {
  const options = 'step' in given ? { last: given.step } : given;
  const executed = plans.filter((plan) => executionItem(plan).executed);
  let targets: UnitPlan[];
  if ('to' in options) {
    const index = executed.findIndex((plan) => plan.unit.model.id === options.to);
    if (index === -1)
      throw new MongockError('INVALID_CONFIG', `Cannot undo to '${options.to}': no executed change unit has that id. Check the id (see \`mongock status\`).`, {
        changeId: options.to,
      });
    targets = executed.slice(index);
  } else {
    if (!Number.isInteger(options.last) || options.last < 1)
      throw new MongockError('INVALID_CONFIG', `undo({ last }) needs a positive integer; got ${String(options.last)}.`);
    targets = executed.slice(-options.last);
  }
  const missing = targets.filter((plan) => plan.items.some((item) => item.executed && item.rollback === undefined));
  if (missing.length > 0) {
    throw new MongockError(
      'UNDO_FAILED',
      `Cannot undo: ${missing.map((plan) => describeUnit(plan.unit.model)).join(', ')} ha${missing.length === 1 ? 's' : 've'} no rollback method. Nothing was rolled back.`,
      { changeId: missing[0]!.unit.model.id },
    );
  }
  return targets.reverse();
}
