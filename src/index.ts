/**
 * Mongock for TypeScript: code-first database migrations, applied exactly once, in order,
 * under a distributed lock. Drivers live in subpaths: `mongock/sqlite`, `mongock/mongodb`,
 * `mongock/postgres`, `mongock/mysql`; NestJS in `mongock/nestjs`.
 */

export { type Batched, type BatchedOptions, type BatchKey, type BatchPause, type BatchSource, batched, MAX_BATCH_SIZE } from './change/batched.ts';
export type { BaseChangeContext, RecoveryStrategy } from './change/change-unit.ts';
export type { ChangeUnitSource } from './change/collect-change-units.ts';
export {
  AfterExecution,
  BeforeExecution,
  ChangeLog,
  type ChangeLogOptions,
  ChangeSet,
  type ChangeSetOptions,
  ChangeUnit,
  type ChangeUnitOptions,
  Execution,
  Profile,
  RollbackAfterExecution,
  RollbackBeforeExecution,
  RollbackExecution,
} from './change/decorators.ts';
export { type ChangeFunction, type ChangeUnitDefinition, type DefaultChangeContext, defineChangeUnit } from './change/define-change-unit.ts';
export { compareSystemVersions } from './change/system-version.ts';
export type { Driver, DriverCapabilities, InProgressChange, LockHolder } from './drivers/driver.ts';
export { isMongockError, MongockError, type MongockErrorCode, type MongockOperation } from './errors/mongock-error.ts';
export type { BatchCheckpoint, BatchCheckpointState, BatchDirection } from './history/batch-checkpoint.ts';
export type { ChangeEntry, ChangeState, ChangeType } from './history/change-entry.ts';
export { MANUAL_RESOLUTION_KEY, type ManualResolution, manualResolutionOf, type Resolution } from './history/manual-resolution.ts';
export type { Clock } from './lock/clock.ts';
export { consoleLogger, type Logger, type LogLevel, silentLogger } from './log/logger.ts';
export type { BackgroundMigration, BackgroundOptions } from './runner/background.ts';
export { DOCTOR_CHECKS } from './runner/doctor/checks.ts';
export type { Diagnosis } from './runner/doctor/diagnose.ts';
export type { DoctorCheck, DoctorInput, DoctorUnit, Finding, FindingSeverity } from './runner/doctor/doctor-check.ts';
export type { BatchProgress, MongockEventName, MongockEvents, MongockListener } from './runner/events.ts';
export type { FilteredStatus, IgnoredEntry } from './runner/history-report.ts';
export type { MarkedItem, MarkOptions, MarkResult } from './runner/mark.ts';
export type { ItemOutcome, ItemResult, MigrationResult } from './runner/migration-result.ts';
export { createRunner, MongockBuilder } from './runner/mongock-builder.ts';
export {
  type ChangeUnitFactory,
  type ChecksumMismatchPolicy,
  defineConfig,
  type FileWithoutUnitsPolicy,
  type InterruptedChangePolicy,
  type LegacyMigrationConfig,
  type LegacyMigrationOptions,
  type LockConfig,
  type MongockConfig,
  type SqlPeer,
  type TransactionStrategy,
} from './runner/mongock-config.ts';
export type {
  AcceptChecksumResult,
  ExecuteOptions,
  MigrationStatus,
  MongockRunner,
  OperationPlan,
  UndoOptions,
  UndoResult,
  UnlockResult,
  ValidationReport,
} from './runner/mongock-runner.ts';
export type { ExecuteScope } from './runner/targets.ts';
export type { UnitState, UnitStatus } from './runner/unit-status.ts';
export {
  type MultiTenantDiagnosis,
  type MultiTenantEventName,
  type MultiTenantEvents,
  MultiTenantRunner,
  type MultiTenantStatus,
  multiTenantRunner,
  type TenantRunBudget,
  type TenantSelection,
} from './tenants/multi-tenant-runner.ts';
export type { StatusMatrixRow } from './tenants/status-matrix.ts';
export {
  DEFAULT_TENANT_CONCURRENCY,
  defineMultiTenantConfig,
  type LockedTenantPolicy,
  type MultiTenantConfig,
  type Tenant,
  type TenantsConfig,
} from './tenants/tenant-config.ts';
export type { TenantOperation } from './tenants/tenant-operation.ts';
export type { MultiTenantResult, TenantOutcome, TenantResult, TenantSummary } from './tenants/tenant-result.ts';
export type { MultiTenantBackground, TenantBackgroundState, TenantInBackground } from './tenants/tenants-background.ts';
