import type { ChangeEntry, ChangeState, ChangeType } from './change-entry.ts';

/** What a human said about a unit: it is applied (Liquibase's changelog-sync), or it is not (run it again). */
export type Resolution = 'applied' | 'rolled-back';

/**
 * A human decision, recorded with who, why and what the runner knew before. It lives in the
 * entry's `metadata` under {@link MANUAL_RESOLUTION_KEY}, because Java Mongock 5 reads
 * `metadata` as a free map and refuses any state but its five: the state itself stays EXECUTED
 * (applied) or ROLLED_BACK (rolled back), which both sides already read correctly.
 */
export interface ManualResolution {
  readonly manual: true;
  readonly resolution: Resolution;
  /** The operator: `--by`, else the OS user running the command. */
  readonly by: string;
  readonly reason: string | null;
  /** What the history said before: a state, `interrupted` (crash marker), or `pending` (never ran). */
  readonly previousState: ChangeState | 'interrupted' | 'pending';
}

/** The metadata key under which `mark()` records a manual resolution in the history entry it writes. */
export const MANUAL_RESOLUTION_KEY = 'manualResolution';

/** Manual entries get execution ids of their own, readable in any tool that lists the history. */
export const MANUAL_EXECUTION_PREFIX = 'manual-';

export interface ManualEntryInput {
  readonly executionId: string;
  readonly changeId: string;
  readonly author: string;
  readonly type: ChangeType;
  /** Database time. */
  readonly timestamp: Date;
  readonly changeLogClass: string;
  readonly changeSetMethod: string;
  readonly hostname: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly resolution: ManualResolution;
  readonly checksum: string | null;
}

/**
 * The entry a manual mark writes: Java Mongock 5's shape exactly (state EXECUTED or
 * ROLLED_BACK, `executionMillis` -1 as Java writes for steps it did not run, `errorTrace` null),
 * the decision in `metadata`, and for `applied` the unit's current checksum so that later edits
 * of its code are still detected.
 */
export function manualEntry(input: ManualEntryInput): ChangeEntry {
  const state: ChangeState = input.resolution.resolution === 'applied' ? 'EXECUTED' : 'ROLLED_BACK';
  return {
    executionId: input.executionId,
    changeId: input.changeId,
    author: input.author,
    timestamp: input.timestamp,
    state,
    type: input.type,
    changeLogClass: input.changeLogClass,
    changeSetMethod: input.changeSetMethod,
    metadata: { ...input.metadata, [MANUAL_RESOLUTION_KEY]: { ...input.resolution } },
    executionMillis: -1,
    executionHostname: input.hostname,
    errorTrace: null,
    systemChange: false,
    checksum: state === 'EXECUTED' ? input.checksum : null,
  };
}

/**
 * The manual decision an entry records, or null for an entry the runner wrote.
 *
 * @example Who marked which units by hand, and why.
 * ```ts
 * import { manualResolutionOf } from 'mongock';
 * import { MemoryDatabase } from 'mongock/driver';
 *
 * const database = new MemoryDatabase();
 * for (const entry of database.history) {
 *   const decision = manualResolutionOf(entry);
 *   if (decision !== null) console.log(`${entry.changeId}: ${decision.resolution} by ${decision.by} (${decision.reason ?? 'no reason given'})`);
 * }
 * ```
 */
export function manualResolutionOf(entry: ChangeEntry): ManualResolution | null {
  const raw = entry.metadata?.[MANUAL_RESOLUTION_KEY];
  if (typeof raw !== 'object' || raw === null) return null;
  const record = raw as Record<string, unknown>;
  if (record.manual !== true || (record.resolution !== 'applied' && record.resolution !== 'rolled-back')) return null;
  return {
    manual: true,
    resolution: record.resolution,
    by: typeof record.by === 'string' ? record.by : 'unknown',
    reason: typeof record.reason === 'string' ? record.reason : null,
    previousState: typeof record.previousState === 'string' ? (record.previousState as ManualResolution['previousState']) : 'pending',
  };
}
