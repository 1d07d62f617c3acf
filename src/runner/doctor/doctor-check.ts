import type { RecoveryStrategy } from '../../change/change-unit.ts';
import type { LockHolder } from '../../drivers/driver.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import type { FilteredStatus, IgnoredEntry } from '../history-report.ts';
import type { ChecksumMismatchPolicy } from '../mongock-config.ts';
import type { UnitStatus } from '../unit-status.ts';

/** `blocking`: the next `migrate` stops (doctor exits non-zero); `warning`: it goes on, but look; `info`: worth knowing. */
export type FindingSeverity = 'blocking' | 'warning' | 'info';

/** One thing that would block or surprise the next run, and what to do about it. */
export interface Finding {
  /** The check that found it (`DoctorCheck.name`). */
  readonly check: string;
  readonly severity: FindingSeverity;
  readonly changeId?: string;
  readonly author?: string;
  readonly message: string;
  /** Commands or steps, in the order to try them. */
  readonly fix: readonly string[];
}

/** A unit as the doctor sees it: its status plus what recovery would do with it. */
export interface DoctorUnit {
  readonly status: UnitStatus;
  readonly recovery: RecoveryStrategy | 'fail';
  readonly hasRollback: boolean;
  /** Newest entry of its execution (any state), or null. */
  readonly latest: ChangeEntry | null;
  /** A `recovery: 'manual'` unit whose last attempt may have left data half changed. */
  readonly unresolved: boolean;
  /** Several units in code share its id (commands then need `--author`). */
  readonly ambiguousId: boolean;
}

/** The rows of the configured legacy history (another tool's table or collection), read for `legacyMigration`. */
export interface LegacyRows {
  readonly origin: string;
  /** `legacyMigration.from`, when it names a SQL peer. */
  readonly peer: string | undefined;
  /** Each row's name (its `mapping.changeId` field) and the change id it maps to; or why it could not be read. */
  readonly rows: readonly { readonly name: string; readonly changeId: string }[] | { readonly error: string };
}

/** Everything the checks read: collected once, read-only, no database access of their own. */
export interface DoctorInput {
  readonly units: readonly DoctorUnit[];
  readonly filtered: readonly FilteredStatus[];
  readonly ignored: readonly IgnoredEntry[];
  readonly lock: LockHolder | null;
  readonly orderWarnings: readonly string[];
  readonly onChecksumMismatch: ChecksumMismatchPolicy;
  /** Absent without `legacyMigration` (or with a driver that cannot read it). */
  readonly legacy?: LegacyRows | undefined;
}

/**
 * A named check. Later capabilities (batched progress, tenants, SQL peers...) add theirs to
 * `DOCTOR_CHECKS` (or pass extra ones to `runner.diagnose`): a check only reads its input.
 */
export interface DoctorCheck {
  readonly name: string;
  readonly description: string;
  run(input: DoctorInput): readonly Finding[];
}
