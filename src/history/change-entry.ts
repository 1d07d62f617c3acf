/** The states Mongock writes to the history. Java Mongock refuses to start on any other. */
export type ChangeState = 'EXECUTED' | 'FAILED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'IGNORED';

/** `BEFORE_EXECUTION` entries record a unit's before-step (`<id>_before`). */
export type ChangeType = 'EXECUTION' | 'BEFORE_EXECUTION';

/** Every state a history entry can be in, as Java Mongock writes it. */
export const CHANGE_STATES: readonly ChangeState[] = Object.freeze(['EXECUTED', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'IGNORED']);

/**
 * One history record of one change item's execution, with Java Mongock's field names so that a
 * service ported from Java keeps its history. `(executionId, changeId, author)` is the key.
 * `checksum` is ours (optional on read: Java Mongock drops it when it re-saves the history).
 */
export interface ChangeEntry {
  readonly executionId: string;
  readonly changeId: string;
  readonly author: string;
  readonly timestamp: Date;
  /** Missing in documents written by Mongock 3 or mongobee: read as `EXECUTED`. */
  readonly state: ChangeState;
  readonly type: ChangeType;
  readonly changeLogClass: string;
  readonly changeSetMethod: string;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  /** Wall time of the change method in milliseconds; -1 when it did not run to success. */
  readonly executionMillis: number;
  readonly executionHostname: string;
  /** JSON `{"execution-error": ..., "rollback-error": ...}` as Java Mongock writes it, or null. */
  readonly errorTrace: string | null;
  readonly systemChange: boolean;
  readonly checksum?: string | null;
}

/** History collection/table, as Java Mongock names it. */
export const DEFAULT_MIGRATION_REPOSITORY_NAME = 'mongockChangeLog';

/**
 * An entry to write. Without `timestamp`, the driver stamps the database's clock at the write
 * (never a runner's); a legacy import passes the original tool's time.
 */
export type NewChangeEntry = Omit<ChangeEntry, 'timestamp'> & { readonly timestamp?: Date };
