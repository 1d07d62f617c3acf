import { describeUnit, type SelectedUnit } from '../change/select-change-units.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { UnitPlan } from './plan.ts';

export interface ExecuteOptions {
  /** Apply pending units up to and including this change id, in order. */
  readonly to?: string;
}

export type UndoOptions = { readonly to: string } | { readonly last: number };

/** `execute({ to })`: the units up to and including `id`. */
export function unitsUpTo(units: readonly SelectedUnit[], id: string | undefined): readonly SelectedUnit[] {
  if (id === undefined) return units;
  const index = units.findIndex((unit) => unit.model.id === id);
  if (index === -1) throw new MongockError('INVALID_CONFIG', `No change unit with id '${id}' to migrate to. Check the id (see \`mongock status\`).`);
  return units.slice(0, index + 1);
}

/** `undo(options)`: the executed units to roll back, newest first; all must have a rollback method. */
export function selectForUndo(plans: readonly UnitPlan[], options: UndoOptions): UnitPlan[] {
  const executed = plans.filter((plan) => plan.items[plan.items.length - 1]!.executed);
  let targets: UnitPlan[];
  if ('to' in options) {
    const index = executed.findIndex((plan) => plan.unit.model.id === options.to);
    if (index === -1) throw new MongockError('UNDO_FAILED', `Cannot undo to '${options.to}': no executed change unit has that id. See \`mongock status\`.`);
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
