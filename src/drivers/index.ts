/**
 * `mongock/driver`: what a driver author needs. The contract a driver implements, the helpers
 * the bundled drivers share (history rows, the fencing error, the lock key), `normaliseEntry` for
 * reading histories written by other tools, and the in-memory reference driver. The conformance
 * suite is `mongock/testkit` (it runs inside vitest, so it is a subpath of its own).
 *
 * @example A driver is a name, its capabilities and `connect()`.
 * ```ts
 * import type { Driver } from 'mongock/driver';
 * import { memoryDriver } from 'mongock/driver';
 *
 * const reference: Driver = memoryDriver();
 * console.log(reference.name, reference.capabilities.transactions);
 * ```
 */

export { leaseLostError } from '../errors/error-builders.ts';
export { type BatchCheckpoint, type BatchCheckpointState, type BatchDirection, CHECKPOINT_SUFFIX, checkpointStoreName } from '../history/batch-checkpoint.ts';
export { CHANGE_STATES, type ChangeEntry, type ChangeState, type ChangeType, DEFAULT_MIGRATION_REPOSITORY_NAME } from '../history/change-entry.ts';
export { normaliseEntry } from '../history/is-executed.ts';
export { DEFAULT_LOCK_REPOSITORY_NAME, LOCK_KEY } from '../lock/lock-config.ts';
// The whole contract, the lock primitive's types it re-exports included: one list, in driver.ts.
export type * from './driver.ts';
export { MemoryKeyValue } from './memory/memory-context.ts';
export { type MemoryChangeContext, MemoryDatabase, type MemoryDriverOptions, memoryDriver } from './memory/memory-driver.ts';
export { entryFromRow, HISTORY_COLUMNS, type HistoryColumn, type HistoryRow, type RowConverters, rowParameters, rowValues } from './shared/history-row.ts';
