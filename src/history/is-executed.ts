import { entryKey } from '../change/change-key.ts';
import type { ChangeEntry, ChangeState } from './change-entry.ts';

export { entryKey };

/** States that say nothing about whether a change is applied: Mongock skips them when deciding. */
const UNDECISIVE: ReadonlySet<ChangeState> = new Set(['IGNORED', 'FAILED', 'ROLLBACK_FAILED']);

const decisiveCache = new WeakMap<readonly ChangeEntry[], Map<string, ChangeEntry>>();

/**
 * Mongock's rule: per (changeId, author), the newest entry that is not IGNORED, FAILED or
 * ROLLBACK_FAILED decides; the change is executed when that entry is EXECUTED.
 * Returns that deciding entry for every key that has one.
 * "Newest" is the later in `history`, which drivers return in the order the database recorded
 * the entries (an identity column, rowid, server-assigned ObjectId): no runner's clock, nor
 * the timestamps they would stamp, can reorder them.
 */
export function latestDecisiveEntries(history: readonly ChangeEntry[]): Map<string, ChangeEntry> {
  // Planning asks several times about the same history read: answer from a cache.
  const known = decisiveCache.get(history);
  if (known !== undefined) return known;
  const latest = new Map<string, ChangeEntry>();
  decisiveCache.set(history, latest);
  for (const entry of history) {
    if (UNDECISIVE.has(entry.state)) continue;
    const key = entryKey(entry.changeId, entry.author);
    latest.set(key, entry);
  }
  return latest;
}

/** The newest entry of any state per key (what `status` shows), in history order as above. */
export function latestEntries(history: readonly ChangeEntry[]): Map<string, ChangeEntry> {
  const latest = new Map<string, ChangeEntry>();
  for (const entry of history) {
    latest.set(entryKey(entry.changeId, entry.author), entry);
  }
  return latest;
}

/** The set of keys Mongock counts as executed. */
export function executedKeys(history: readonly ChangeEntry[]): Set<string> {
  const executed = new Set<string>();
  for (const [key, entry] of latestDecisiveEntries(history)) if (entry.state === 'EXECUTED') executed.add(key);
  return executed;
}

/**
 * Normalises a raw record read from a store (possibly written by Java Mongock 3/4/5 or mongobee):
 * a missing state reads as EXECUTED and a missing type as EXECUTION, as Mongock does.
 *
 * @example
 * ```ts
 * import { normaliseEntry } from 'mongock/driver';
 *
 * // A record of Java Mongock 3, without state or type: read as an EXECUTED execution.
 * const entry = normaliseEntry({ executionId: 'x', changeId: 'init', author: 'dev', timestamp: new Date(), changeLogClass: 'Init', changeSetMethod: 'run' });
 * console.log(entry.state, entry.type); // EXECUTED EXECUTION
 * ```
 */
export function normaliseEntry(raw: Readonly<Record<string, unknown>>): ChangeEntry {
  const timestamp = raw.timestamp instanceof Date ? raw.timestamp : new Date(String(raw.timestamp ?? 0));
  return {
    executionId: String(raw.executionId ?? ''),
    changeId: String(raw.changeId ?? ''),
    author: String(raw.author ?? ''),
    timestamp,
    state: (raw.state ?? 'EXECUTED') as ChangeState,
    type: raw.type === 'BEFORE_EXECUTION' ? 'BEFORE_EXECUTION' : 'EXECUTION',
    changeLogClass: String(raw.changeLogClass ?? ''),
    changeSetMethod: String(raw.changeSetMethod ?? ''),
    metadata: (raw.metadata ?? null) as Record<string, unknown> | null,
    executionMillis: Number(raw.executionMillis ?? -1),
    executionHostname: String(raw.executionHostname ?? ''),
    errorTrace: raw.errorTrace == null ? null : String(raw.errorTrace),
    systemChange: raw.systemChange === true || raw.systemChange === 1,
    checksum: raw.checksum == null ? null : String(raw.checksum),
  };
}
