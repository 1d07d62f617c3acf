import type { ChangeEntry } from '../history/change-entry.ts';

/**
 * - `succeeded`: every entry EXECUTED (or IGNORED);
 * - `failed`: an entry FAILED or ROLLBACK_FAILED, or ROLLED_BACK with an error (a failure Mongock
 *   rolled back on a database without transactions);
 * - `rolled-back`: entries ROLLED_BACK without an error (an `undo`) and none failed.
 */
export type ExecutionOutcome = 'succeeded' | 'failed' | 'rolled-back';

/** One execution of the runner, as its history entries tell it. */
export interface ExecutionView {
  readonly executionId: string;
  readonly host: string;
  /** The `serviceIdentifier` suffix of the host, when the config names one and the host ends with it. */
  readonly serviceIdentifier: string | null;
  /** The first entry's time less its duration: when its first change started. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly outcome: ExecutionOutcome;
  readonly entries: number;
  readonly executed: number;
  /** Entries of failed attempts, rolled back or not. */
  readonly failed: number;
  /** Entries of units rolled back on request (`undo`). */
  readonly rolledBack: number;
}

/** Groups the history by execution id, newest execution first. */
export function groupExecutions(history: readonly ChangeEntry[], serviceIdentifier: string | undefined): ExecutionView[] {
  const groups = new Map<string, ChangeEntry[]>();
  for (const entry of history) {
    const group = groups.get(entry.executionId);
    if (group === undefined) groups.set(entry.executionId, [entry]);
    else group.push(entry);
  }
  return [...groups.values()].map((entries) => executionView(entries, serviceIdentifier)).sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
}

function executionView(entries: readonly ChangeEntry[], serviceIdentifier: string | undefined): ExecutionView {
  const first = entries[0]!;
  let started = Number.POSITIVE_INFINITY;
  let finished = Number.NEGATIVE_INFINITY;
  for (const entry of entries) {
    const at = entry.timestamp.getTime();
    started = Math.min(started, at - Math.max(0, entry.executionMillis));
    finished = Math.max(finished, at);
  }
  const count = (...states: string[]): number => entries.filter((entry) => states.includes(entry.state)).length;
  // A ROLLED_BACK entry with an error is a failure Mongock compensated (no transactions); without one, an undo.
  const compensated = entries.filter((entry) => entry.state === 'ROLLED_BACK' && entry.errorTrace !== null).length;
  const failed = count('FAILED', 'ROLLBACK_FAILED') + compensated;
  const rolledBack = count('ROLLED_BACK') - compensated;
  const suffix = serviceIdentifier === undefined ? undefined : `-${serviceIdentifier}`;
  const host = first.executionHostname;
  const ownService = suffix !== undefined && host.endsWith(suffix) && host.length > suffix.length;
  return {
    executionId: first.executionId,
    host: ownService ? host.slice(0, -suffix.length) : host,
    serviceIdentifier: ownService ? serviceIdentifier! : null,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: Math.max(0, finished - started),
    outcome: failed > 0 ? 'failed' : rolledBack > 0 ? 'rolled-back' : 'succeeded',
    entries: entries.length,
    executed: count('EXECUTED'),
    failed,
    rolledBack,
  };
}
