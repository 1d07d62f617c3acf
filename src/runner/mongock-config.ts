import type { ChangeUnitSource } from '../change/collect-change-units.ts';
import { DEFAULT_END_SYSTEM_VERSION, DEFAULT_START_SYSTEM_VERSION } from '../change/system-version.ts';
import type { Driver } from '../drivers/driver.ts';
import type { Clock } from '../lock/clock.ts';
import type { LockConfig } from '../lock/lock-config.ts';
import type { Logger } from '../log/logger.ts';

/** `changeUnit`: one transaction per unit (default). `execution`: one for the whole run. */
export type TransactionStrategy = 'changeUnit' | 'execution';

/**
 * What to do when a previous run died in the middle of a change that ran outside a transaction
 * (found from the lock's in-progress marker): `rollback` runs that change's rollback method,
 * records ROLLED_BACK (with the interruption as the error) and then applies it again, as Mongock
 * does for any failed non-transactional change; `fail` stops with `CHANGE_INTERRUPTED` until an
 * operator clears it with `mongock unlock --force`. A change without a rollback method always fails.
 */
export type InterruptedChangePolicy = 'rollback' | 'fail';

/** What to do with a scan-path file that exports no change unit. */
export type FileWithoutUnitsPolicy = 'warn' | 'fail' | 'ignore';

/** What to do when an executed unit's code changed since it ran. */
export type ChecksumMismatchPolicy = 'warn' | 'fail' | 'ignore';

/** SQL migration tools whose history table can be imported (`legacyMigration.from`); see docs/sql-units.md. */
export type SqlPeer = 'knex' | 'kysely' | 'node-pg-migrate' | 'umzug';

/** Importing history written by another tool (mongobee, migrate-mongo, knex, Kysely, node-pg-migrate, umzug...), once. */
export interface LegacyMigrationConfig {
  /** Collection or table to read (`schema.table` on PostgreSQL). `collection` and `table` are accepted as aliases; with `from`, the peer's default table. */
  readonly origin: string;
  /** A SQL peer: sets the default table and mapping, and how its migration names become change ids. */
  readonly from?: SqlPeer;
  /** Which field of a record holds what. With `from`, the peer's columns are the default. */
  readonly mapping?: Readonly<Partial<Record<LegacyField, string>>>;
  /**
   * How a record's change id (its `mapping.changeId` field) becomes the id of the unit that claims
   * it: a table of names, or a function. Default with `from`: the name without its file extension
   * (`20240101_create_users.js` → `20240101_create_users`); without `from`: the value as it is.
   */
  readonly changeIds?: Readonly<Record<string, string>> | ((name: string) => string);
  /** Fail when the number of imported records differs. */
  readonly changesCountExpectation?: number;
  /** Import on every run (new records only) instead of once. */
  readonly runAlways?: boolean;
  /** Stop the run when the import fails (default true); false logs a warning. */
  readonly failFast?: boolean;
}

/**
 * What `setLegacyMigration` and `legacyMigration` accept: the table or collection as `origin`,
 * `collection` or `table`, or none with `from` (the peer's default table).
 */
export type LegacyMigrationOptions = Omit<LegacyMigrationConfig, 'origin'> & {
  readonly origin?: string;
  readonly collection?: string;
  readonly table?: string;
};

export type LegacyField = 'changeId' | 'author' | 'timestamp' | 'changeLogClass' | 'changeSetMethod' | 'metadata';

/** Creates change unit class instances; NestJS plugs its injector in here. */
export type ChangeUnitFactory = (unitClass: new (...args: never[]) => object) => object | Promise<object>;

/**
 * Every setting of a runner, as a plain object: used by `defineConfig` (config files), by
 * `MongockModule.forRoot`, and built up by `MongockBuilder`. Validated when the runner is built;
 * never mutated.
 */
export interface MongockConfig<TContext extends object = object> {
  readonly driver: Driver<TContext>;
  /** Folders (or files) whose modules are loaded: .ts .mts .cts .js .mjs .cjs */
  readonly migrationScanPath?: string | readonly string[];
  readonly changeUnits?: readonly ChangeUnitSource[];
  /** `false`: `execute()` does nothing. Default true. */
  readonly enabled?: boolean;
  /** History collection/table. Default `mongockChangeLog`. */
  readonly migrationRepositoryName?: string;
  /** Lock collection/table. Default `mongockLock`. */
  readonly lockRepositoryName?: string;
  /** Copied into every history entry. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** `false`: when another instance holds the lock, warn and let the app start. Default true. */
  readonly throwExceptionIfCannotObtainLock?: boolean;
  readonly lockConfig?: Partial<LockConfig>;
  /** Inclusive window of unit `systemVersion`s to run. Defaults '0' .. '2147483647'. */
  readonly startSystemVersion?: string;
  readonly endSystemVersion?: string;
  /** Active profiles; none means `default`. */
  readonly activeProfiles?: readonly string[];
  /** Write an IGNORED entry for every already-executed unit on each run. Default false. */
  readonly trackIgnored?: boolean;
  /** Appended to the hostname in `executionHostname`. */
  readonly serviceIdentifier?: string;
  /** Use the driver's transactions. Default: when the driver has them. `true` on a driver without them is an error. */
  readonly transactional?: boolean;
  readonly transactionStrategy?: TransactionStrategy;
  /** Author for units that name none. Default `default_author`. */
  readonly defaultAuthor?: string;
  readonly legacyMigration?: LegacyMigrationOptions;
  /** Default: `<ISO time>-<random>` as Mongock. */
  readonly executionId?: string;
  /** Values change methods receive in their context, by name. */
  readonly dependencies?: Readonly<Record<string, unknown>>;
  readonly logger?: Logger;
  /**
   * The time the runner lives by: waiting for the lock, renewing its lease, `maxRunMs` and the
   * pauses between batches. Default the process's monotonic clock; a test passes a manual one so
   * that a pause or a time budget takes no real time.
   */
  readonly clock?: Clock;
  readonly changeUnitFactory?: ChangeUnitFactory;
  /** Default `warn`. */
  readonly onChecksumMismatch?: ChecksumMismatchPolicy;
  /** Default `rollback`. */
  readonly onInterruptedChange?: InterruptedChangePolicy;
  /**
   * How long one step of a change unit (execute, before, a rollback) may run, in ms; a unit's own
   * `timeoutMs` overrides it. A step still running then fails with `CHANGE_TIMEOUT`: its
   * transaction is rolled back (or its rollback method runs) and the lock is released. Default 0:
   * no limit, as in Java Mongock (a long data migration is not stopped by surprise).
   */
  readonly executionTimeoutMs?: number;
  /**
   * Time budget of one run for batched units, in ms (a unit's own `maxRunMs` may be shorter): past
   * it, a batched unit stops at a batch boundary with its checkpoint, the lock is released and the
   * result is `in-progress`; the next run resumes. Default 0: no limit. See docs/batched-changes.md.
   */
  readonly maxRunMs?: number;
  /** Whether a run that stops with batched work unfinished rejects with `BATCHES_UNFINISHED` (default false: it resolves `in-progress`). */
  readonly failOnUnfinishedBatches?: boolean;
  /** A file in a scan path that exports no change unit: `warn` (default, naming it), `fail` (INVALID_CHANGE_UNIT), `ignore`. */
  readonly onFileWithoutUnits?: FileWithoutUnitsPolicy;
}

export const DEFAULT_AUTHOR = 'default_author';
export { DEFAULT_MIGRATION_REPOSITORY_NAME } from '../history/change-entry.ts';
export {
  DEFAULT_LOCK_CONFIG,
  DEFAULT_LOCK_REPOSITORY_NAME,
  type LockConfig,
  MIN_LOCK_ACQUIRED_FOR_MS,
  MIN_LOCK_TRY_FREQUENCY_MS,
  QUICK_LOCK_CONFIG,
} from '../lock/lock-config.ts';
export { DEFAULT_END_SYSTEM_VERSION, DEFAULT_START_SYSTEM_VERSION };

/**
 * Types a config file. Returns its argument, frozen.
 *
 * @example mongock.config.ts
 * ```ts
 * import { defineConfig } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 * export default defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
 * ```
 */
export function defineConfig<TContext extends object>(config: MongockConfig<TContext>): MongockConfig<TContext> {
  return Object.freeze({ ...config });
}
