import type { ItemResult, MigrationResult } from './migration-result.ts';
import { migrationResult } from './migration-result.ts';
import type { RunBudget } from './run-budget.ts';

/**
 * Where the next background slice resumes: the item `result` stopped in progress at (its unit
 * and the units after it were not settled); undefined when nothing stopped in progress.
 */
export function resumePoint(result: MigrationResult): RunBudget['resumeAt'] {
  const stopped = result.items.find((item) => item.outcome === 'in-progress');
  return stopped === undefined ? undefined : { changeId: stopped.changeId, author: stopped.author };
}

/**
 * One background run's result so far: what the earlier slices settled (their items before the
 * one they stopped in progress at: a unit failed there is reported once, as `execute()` reports
 * it, though no later slice runs it), then the latest slice's items (less the resumed unit's
 * steps an earlier slice already reported). The latest slice's status and execution id; counts
 * over all items; `durationMs` since the background run started (`startedAt`, monotonic).
 */
export function backgroundResult(before: MigrationResult | undefined, slice: MigrationResult, startedAt: number): MigrationResult {
  if (before === undefined) return slice;
  const stopped = before.items.findIndex((item) => item.outcome === 'in-progress');
  const settled = stopped === -1 ? before.items : before.items.slice(0, stopped);
  const reported = new Set(settled.map(itemKey));
  const items: ItemResult[] = [...settled, ...slice.items.filter((item) => !reported.has(itemKey(item)))];
  return migrationResult(slice.status, slice.executionId, items, startedAt);
}

function itemKey({ changeId, author, type }: ItemResult): string {
  return `${type}\u0000${changeId}\u0000${author}`;
}
