import type { SelectedUnit } from '../change/select-change-units.ts';
import type { InProgressChange } from '../drivers/driver.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { entryKey, latestEntries } from '../history/is-executed.ts';
import type { ManualResolution, Resolution } from '../history/manual-resolution.ts';
import type { MarkOptions, MarkResult } from './mark-options.ts';
import { type PlanItem, planUnits, type UnitPlan } from './plan.ts';

export interface MarkTarget {
  readonly item: PlanItem;
  readonly previousState: ManualResolution['previousState'];
}

export interface MarkPlan {
  readonly targets: readonly MarkTarget[];
  readonly unchanged: MarkResult['unchanged'];
}

/** Which items the mark writes, and which already say what was asked. */
export function planMarks(
  units: readonly SelectedUnit[],
  history: readonly ChangeEntry[],
  interrupted: InProgressChange | null,
  options: MarkOptions,
): MarkPlan {
  const plans = planUnits(units, history);
  const latest = latestEntries(history);
  const items = options.allPending === true ? plans.flatMap((plan) => plan.items) : itemsFor(plans, options);
  const targets: MarkTarget[] = [];
  const unchanged: { changeId: string; author: string; why: string }[] = [];
  for (const item of items) {
    const isInterrupted = interrupted !== null && interrupted.changeId === item.changeId && interrupted.author === item.unit.author;
    const previousState = isInterrupted ? 'interrupted' : (latest.get(entryKey(item.changeId, item.unit.author))?.state ?? 'pending');
    const why = unchangedReason(item, previousState, options.resolution);
    if (why === undefined) targets.push({ item, previousState });
    else if (options.allPending !== true) unchanged.push({ changeId: item.changeId, author: item.unit.author, why });
  }
  return { targets, unchanged };
}

function unchangedReason(item: PlanItem, previous: MarkTarget['previousState'], resolution: Resolution): string | undefined {
  if (previous === 'interrupted') return undefined;
  if (resolution === 'applied') return item.executed ? 'already executed' : undefined;
  if (item.executed) return undefined;
  return previous === 'FAILED' || previous === 'ROLLBACK_FAILED'
    ? undefined
    : previous === 'pending'
      ? 'never ran; nothing to roll back'
      : 'already rolled back';
}

function itemsFor(plans: readonly UnitPlan[], options: MarkOptions): readonly PlanItem[] {
  const id = options.changeId!;
  const byAuthor = (plan: UnitPlan) => options.author === undefined || plan.unit.author === options.author;
  const units = plans.filter((plan) => plan.unit.model.id === id && byAuthor(plan));
  const steps = plans.flatMap((plan) => plan.items.filter((item) => item.changeId === id && item.role !== 'execution' && byAuthor(plan)));
  const found = units.length > 0 ? units : [];
  if (found.length > 1) {
    throw new MongockError(
      'INVALID_CONFIG',
      `Several change units have the id '${id}' (authors ${found.map((plan) => `'${plan.unit.author}'`).join(', ')}); say which with --author.`,
      { changeId: id },
    );
  }
  if (found.length === 1) return found[0]!.items;
  if (steps.length === 1) return steps;
  throw new MongockError(
    'INVALID_CONFIG',
    `No change unit${options.author === undefined ? '' : ` by '${options.author}'`} with id '${id}' takes part in this run, so it cannot be marked. Check the id and the active profiles (\`mongock status\`).`,
    { changeId: id },
  );
}
