import { MongockError } from '../errors/mongock-error.ts';
import type { ChangeState, ChangeType } from '../history/change-entry.ts';
import type { ManualResolution, Resolution } from '../history/manual-resolution.ts';

/**
 * `runner.mark(...)`: a human records what really happened to a unit the runner cannot judge (a
 * failed non-transactional change finished by hand; a change applied by a script before this tool
 * was adopted). Give `changeId` (a unit, or one of its steps `<id>_before` / `<id>_after`) or
 * `allPending` (Liquibase's changelog-sync: only with `resolution: 'applied'`).
 */
export interface MarkOptions {
  readonly changeId?: string;
  readonly allPending?: boolean;
  /** Needed only when several units share the id. */
  readonly author?: string;
  readonly resolution: Resolution;
  readonly reason?: string;
  /** Who decided; default: the OS user running the process. */
  readonly by?: string;
  /**
   * Take a lease lock (MongoDB, SQLite) whose holder is known to be gone before its lease ran
   * out, as `unlock --force` does. A session lock (PostgreSQL, MySQL) belongs to a live session
   * and is never taken: `mark` is refused until that session ends.
   */
  readonly force?: boolean;
  /** List what would be marked; take no lock, write nothing. */
  readonly dryRun?: boolean;
}

/**
 * One history item that `mark()` resolved (or, in a dry run, would resolve), with the state it had
 * before.
 */
export interface MarkedItem {
  readonly changeId: string;
  readonly author: string;
  readonly type: ChangeType;
  readonly previousState: ManualResolution['previousState'];
  readonly state: Extract<ChangeState, 'EXECUTED' | 'ROLLED_BACK'>;
}

/**
 * What `mark()` did: the execution id of the manual entries, the resolution, who marked them and the
 * items.
 */
export interface MarkResult {
  readonly executionId: string;
  readonly resolution: Resolution;
  readonly dryRun: boolean;
  readonly by: string;
  readonly reason: string | null;
  /** Database time the entries carry; null on a dry run. */
  readonly at: Date | null;
  readonly marked: readonly MarkedItem[];
  /** Items that already say what was asked, with why nothing was written for them. */
  readonly unchanged: readonly { readonly changeId: string; readonly author: string; readonly why: string }[];
}

/** A {@link MarkResult} as JSON (`mongock mark --json`, the dashboard's mark answer): the time as an ISO string. */
export function markResultJson(result: MarkResult) {
  return {
    executionId: result.executionId,
    resolution: result.resolution,
    by: result.by,
    reason: result.reason,
    at: result.at?.toISOString() ?? null,
    marked: result.marked,
    unchanged: result.unchanged,
  };
}

/** Validates the options (INVALID_CONFIG) before anything is opened. */
export function checkMarkOptions(options: MarkOptions): void {
  const problems: string[] = [];
  if (options.resolution !== 'applied' && options.resolution !== 'rolled-back') problems.push("'resolution' must be 'applied' or 'rolled-back'.");
  if ((options.changeId === undefined) === (options.allPending !== true)) problems.push("Give exactly one of 'changeId' or 'allPending: true'.");
  if (options.allPending === true && options.resolution === 'rolled-back')
    problems.push("'allPending' marks pending units as applied (changelog-sync); it cannot be combined with 'rolled-back'.");
  for (const key of ['changeId', 'author', 'reason', 'by'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) problems.push(`'${key}' must be a non-empty string.`);
  }
  if (problems.length > 0) throw new MongockError('INVALID_CONFIG', `Invalid mark options: ${problems.join(' ')}`, { problems, changeId: options.changeId });
}
