import type { RecoveryStrategy } from '../change/change-unit.ts';
import { describeUnit } from '../change/select-change-units.ts';
import type { InProgressChange } from '../drivers/driver.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { entryKey, latestEntries } from '../history/is-executed.ts';
import { markCommands } from './mark-commands.ts';
import type { PlanItem, UnitPlan } from './plan.ts';
import type { ResolvedConfig } from './resolve-config.ts';

/**
 * What this run does with an interrupted earlier attempt of `item`: the unit's own `recovery`,
 * else the runner's `onInterruptedChange` ('rollback' or the legacy 'fail', which stops with
 * CHANGE_INTERRUPTED until `unlock --force`).
 */
export function interruptedRecovery(item: PlanItem | undefined, config: ResolvedConfig): RecoveryStrategy | 'fail' {
  const declared = item?.unit.model.recovery;
  if (declared !== undefined) return declared;
  return config.onInterruptedChange === 'fail' ? 'fail' : 'rollback-and-retry';
}

/** An earlier attempt of a `recovery: 'manual'` unit that this run must not guess about. */
export interface UnresolvedAttempt {
  readonly item: PlanItem;
  readonly entry: ChangeEntry;
}

/**
 * The pending items of `recovery: 'manual'` units whose newest entry says the data may be half
 * changed: ROLLBACK_FAILED, or FAILED where the step ran outside a transaction (a transactional
 * failure left nothing behind and is always safe to retry). After-steps are retried by design.
 */
export function unresolvedAttempts(plans: readonly UnitPlan[], history: readonly ChangeEntry[], transactional: boolean): UnresolvedAttempt[] {
  const latest = latestEntries(history);
  const found: UnresolvedAttempt[] = [];
  for (const plan of plans) {
    if (plan.unit.model.recovery !== 'manual') continue;
    for (const item of plan.items) {
      if (item.executed || item.role === 'after') continue;
      const entry = latest.get(entryKey(item.changeId, item.unit.author));
      if (entry === undefined) continue;
      const ranInTransaction = item.role === 'execution' && transactional && plan.unit.model.transactional !== false;
      if (entry.state === 'ROLLBACK_FAILED' || (entry.state === 'FAILED' && !ranInTransaction)) found.push({ item, entry });
    }
  }
  return found;
}

/** `MANUAL_RESOLUTION_REQUIRED` for an interrupted attempt (from the lock's in-progress marker). */
export function interruptedNeedsHuman(item: PlanItem, change: InProgressChange, plans: readonly UnitPlan[]): MongockError {
  const known = `it was interrupted: the process running it (execution ${change.executionId} on ${change.hostname}, started ${change.startedAt.toISOString()}) stopped before recording an outcome, outside a transaction, so its effects may be partial`;
  return needsHuman(item, known, plans);
}

/** `MANUAL_RESOLUTION_REQUIRED` for the first unresolved attempt, listing every one. */
export function unresolvedNeedsHuman(attempts: readonly UnresolvedAttempt[], plans: readonly UnitPlan[]): MongockError {
  const first = attempts[0]!;
  const { entry } = first;
  const what = entry.state === 'ROLLBACK_FAILED' ? 'failed and then its rollback failed too' : 'failed outside a transaction and was not rolled back';
  const error = firstLine(entry.errorTrace);
  const known = `its last attempt (execution ${entry.executionId} on ${entry.executionHostname}, ${entry.timestamp.toISOString()}) ${what}${error === '' ? '' : ` (${error})`}`;
  return needsHuman(first.item, known, plans, attempts.length - 1);
}

function needsHuman(item: PlanItem, known: string, plans: readonly UnitPlan[], others = 0): MongockError {
  const { model } = item.unit;
  const ambiguous = plans.filter((plan) => plan.unit.model.id === model.id).length > 1;
  const step = item.role === 'execution' ? '' : ` (its ${item.role}-step '${item.changeId}')`;
  const commands = markCommands(item.changeId, item.unit.author, ambiguous);
  const more = others > 0 ? ` ${others} more unit${others === 1 ? '' : 's'} with recovery: 'manual' need the same (see \`mongock doctor\`).` : '';
  return new MongockError(
    'MANUAL_RESOLUTION_REQUIRED',
    `${describeUnit(model)}${step} needs a human decision (recovery: 'manual'): ${known}. Nothing was run. ` +
      `Check the data, then record what is true:\n  ${commands.join('\n  ')}${more}`,
    { changeId: item.changeId, author: item.unit.author, file: model.source, problems: commands },
  );
}

/** The first line of a Java-style errorTrace (`{"execution-error": "..."}`), for a message. */
function firstLine(errorTrace: string | null): string {
  if (errorTrace === null) return '';
  let text = errorTrace;
  try {
    const parsed = JSON.parse(errorTrace) as Record<string, unknown>;
    text = String(parsed['rollback-error'] ?? parsed['execution-error'] ?? errorTrace);
  } catch {
    // not JSON: use it as it is
  }
  return text.split('\n')[0]!.trim();
}
