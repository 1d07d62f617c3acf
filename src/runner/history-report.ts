import type { ChangeUnitModel } from '../change/change-unit.ts';
import type { FilteredUnit, SelectedUnit } from '../change/select-change-units.ts';
import type { ChangeEntry, ChangeState } from '../history/change-entry.ts';
import { entryKey, executedKeys, latestEntries } from '../history/is-executed.ts';
import { afterStepId } from './plan.ts';

/** A unit in code that this run leaves out (profiles, system-version window), as `status` shows it. */
export interface FilteredStatus {
  readonly changeId: string;
  readonly author: string;
  readonly order: string;
  readonly reason: FilteredUnit['reason'];
  readonly detail: string;
  /** Whether the history says it was executed (by a run with other profiles or versions). */
  readonly executed: boolean;
  readonly source: string | undefined;
}

/** A history entry whose change id no unit in code has (a renamed or deleted file): the runner ignores it. */
export interface IgnoredEntry {
  readonly changeId: string;
  readonly author: string;
  /** State of its newest entry. */
  readonly state: ChangeState;
  readonly timestamp: Date;
  readonly executionId: string;
  readonly reason: string;
}

export function filteredStatuses(filtered: readonly FilteredUnit[], history: readonly ChangeEntry[]): FilteredStatus[] {
  const executed = executedKeys(history);
  return filtered.map((unit) => ({
    changeId: unit.model.id,
    author: unit.author,
    order: unit.model.orderKey.filter((part) => part !== '').join('/'),
    reason: unit.reason,
    detail: unit.detail,
    executed: executed.has(entryKey(unit.model.id, unit.author)),
    source: unit.model.source,
  }));
}

/**
 * Newest entry of every (changeId, author) that no unit in code accounts for, including its
 * `_before`/`_after` steps. Java Mongock's own system entries (`systemChange`) are not ours to report.
 */
export function ignoredEntries(units: readonly SelectedUnit[], filtered: readonly FilteredUnit[], history: readonly ChangeEntry[]): IgnoredEntry[] {
  const known = new Set<string>();
  const add = (model: ChangeUnitModel, author: string) => {
    known.add(entryKey(model.id, author));
    known.add(entryKey(`${model.id}_before`, author));
    known.add(entryKey(afterStepId(model.id), author));
  };
  for (const unit of units) add(unit.model, unit.author);
  for (const unit of filtered) add(unit.model, unit.author);
  const ignored: IgnoredEntry[] = [];
  for (const [key, entry] of latestEntries(history)) {
    if (known.has(key) || entry.systemChange) continue;
    ignored.push({
      changeId: entry.changeId,
      author: entry.author,
      state: entry.state,
      timestamp: entry.timestamp,
      executionId: entry.executionId,
      reason: `recorded ${entry.state} (${entry.timestamp.toISOString()}, execution ${entry.executionId}) but no change unit in code has this id and author: renamed or deleted?`,
    });
  }
  return ignored.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}
