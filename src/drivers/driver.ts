import type { BaseChangeContext } from '../change/change-unit.ts';
import type { BatchCheckpoint } from '../history/batch-checkpoint.ts';
import type { ChangeEntry, NewChangeEntry } from '../history/change-entry.ts';
import type { LockGuard, LockLease, LockPrimitive } from '../lock/lock-primitive.ts';
import type { Logger } from '../log/logger.ts';

export type {
  ForceReleaseOptions,
  InProgressChange,
  LockAttempt,
  LockGuard,
  LockHolder,
  LockLease,
  LockPrimitive,
  LockRequest,
} from '../lock/lock-primitive.ts';

/**
 * What a database can do, declared by each driver so the core never names a database.
 *
 * - `transactions`: a change unit's writes and its history entry can commit atomically.
 * - `lease`: the lock is a lease that expires unless renewed (MongoDB, SQLite); the core then
 *   renews it in the background and keeps a local monotonic deadline. Session locks (PostgreSQL
 *   advisory locks, MySQL `GET_LOCK`) say `false` and report loss through `onLost` instead.
 * - `transactionalDdl`: schema changes inside a transaction roll back with it (documentation only).
 * - `legacyImport`: `DriverConnection.readLegacyRecords` exists (history import from other tools).
 */
export interface DriverCapabilities {
  readonly transactions: boolean;
  readonly lease: boolean;
  readonly transactionalDdl: boolean;
  readonly legacyImport: boolean;
}

/** Settings the core passes to {@link Driver.connect}, already validated and frozen. */
export interface DriverSettings {
  readonly migrationRepositoryName: string;
  readonly lockRepositoryName: string;
  readonly logger: Logger;
}

/**
 * A database driver: a factory for connections plus its capabilities. `TContext` is what change
 * methods receive from this driver (e.g. `{ db, session }` or `{ sql }`).
 *
 * @example A driver is passed to the builder, which connects when the runner runs.
 * ```ts
 * import { MongockBuilder } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const runner = new MongockBuilder().setDriver(sqliteDriver({ filename: 'app.db' })).addMigrationScanPath('./migrations').buildRunner();
 * ```
 */
export interface Driver<TContext extends object = object> {
  readonly name: string;
  /**
   * What the driver can offer at best, known before connecting (config validation uses it). The
   * connection's own `capabilities` say what the deployment offers (a MongoDB standalone server
   * has no transactions although the MongoDB driver has them).
   */
  readonly capabilities: DriverCapabilities;
  /** Opens what the run needs. Creates nothing in the database. */
  connect(settings: DriverSettings): Promise<DriverConnection<TContext>>;
  /**
   * Frees what the driver itself owns across operations (a long-lived client it created), for a
   * host's shutdown (NestJS's `onApplicationShutdown` calls it). The bundled drivers have none:
   * each operation opens and closes its own connection, and a client you pass in is yours.
   */
  close?(): Promise<void> | void;
}

/** How {@link DriverConnection.readHistory} reads. */
export interface ReadHistoryOptions {
  /**
   * The read only decides whether to take the lock, and the history is read again under it: a
   * driver may leave out entries a live holder recorded but has not written to the history store
   * yet (MongoDB without transactions carries them in the lock document), sparing a round trip.
   */
  readonly beforeLock?: boolean;
}

/** One open connection for one runner operation (execute, undo, status). */
export interface DriverConnection<TContext extends object = object> {
  /** What this database can do, now that it is connected (e.g. a MongoDB standalone has no transactions). */
  readonly capabilities: DriverCapabilities;
  /**
   * Every change entry, in the order the database first recorded each one (oldest first, by an
   * order the database assigns, never by a timestamp): the later entry of a key is the newer.
   * An empty list when the history store does not exist yet. Never writes.
   */
  readHistory(options?: ReadHistoryOptions): Promise<ChangeEntry[]>;
  /** The lock primitive. Its `tryAcquire` creates the lock store if missing. */
  readonly lock: LockPrimitive;
  /**
   * Creates the history store if missing; idempotent and safe when several processes race.
   * Called only while the lock is held.
   */
  prepareHistory(): Promise<void>;
  /**
   * Runs `work` with what change methods receive. When `transactional` is true (only asked of
   * drivers with `capabilities.transactions`), the context's database calls and every
   * `scope.saveEntry` commit together, and the commit succeeds only if `lease` is still held
   * (fencing); any error rolls everything back. Otherwise calls and entries apply immediately.
   */
  runInScope<T>(options: ScopeOptions, work: (scope: Scope<TContext>) => Promise<T>): Promise<T>;
  /**
   * The database's clock, for entries a human records (`mongock mark`): when the operator's
   * machine says is not what the history should say. Optional: without it the process clock is used.
   */
  now?(): Promise<Date>;
  /**
   * The checkpoint store of batched steps (docs/batched-changes.md), named after the history
   * store. Optional: a driver without it cannot run `batched()` units (the run says so before
   * any batch). Its writes go through {@link Scope.saveCheckpoint}.
   */
  readonly checkpoints?: CheckpointStore;
  /** Legacy history records from another tool's collection/table (when `legacyImport`). */
  readLegacyRecords?(origin: string): Promise<Array<Record<string, unknown>>>;
  /** Releases every resource. Idempotent. */
  close(): Promise<void>;
}

/** Where batched steps' checkpoints live; one record per (changeId, author). */
export interface CheckpointStore {
  /** Every checkpoint; an empty list when the store does not exist yet. Never writes. */
  read(): Promise<BatchCheckpoint[]>;
  /** Creates the store if missing; idempotent and race-safe. Called only while the lock is held. */
  prepare(): Promise<void>;
}

/**
 * How the runner opens a scope for one change: in a transaction or not, under which lease, and the
 * guard that the context's handles call first.
 */
export interface ScopeOptions {
  readonly transactional: boolean;
  readonly lease: LockLease;
  /** Called by the context's handles before each database call; throws when the lock is lost. */
  readonly guard: LockGuard;
}

/**
 * The driver's share of a change method's context: `TContext` without the base context
 * (`log`, `metadata`, `executionId`, `changeId`, `author`), which the runner adds to every call.
 */
export type DriverContext<TContext extends object> = Omit<TContext, keyof BaseChangeContext>;

/** What one scope offers the executor: the driver's share of the change methods' context and the history writer. */
export interface Scope<TContext extends object> {
  readonly context: DriverContext<TContext>;
  /**
   * Upserts by (executionId, changeId, author), inside the scope's transaction if any. Without
   * `entry.timestamp`, `timestamp` is the database's clock at the write. An update keeps the
   * entry's place in the history order. Outside a transaction a driver may carry a new EXECUTED
   * entry in its next lock write (`lock.markInProgress` or the release) instead of writing it
   * now: readers on other connections see it once that write is made, as MongoDB without
   * transactions does (one write per unit; see docs/performance.md).
   */
  saveEntry(entry: NewChangeEntry): Promise<void>;
  /**
   * Upserts by (changeId, author), with the same guarantees as `saveEntry`: inside the scope's
   * transaction if any (it commits with the batch, fenced), else at once and fenced by the lease.
   * Outside a transaction, a checkpoint whose `state` is `done` is stored only after the entries
   * the driver carries (see `saveEntry`) are in the history: the core saves the unit's EXECUTED
   * entry just before, and a done checkpoint with no entry would make the next run start over.
   * Present when the connection has a {@link DriverConnection.checkpoints} store.
   */
  saveCheckpoint?(checkpoint: BatchCheckpoint): Promise<void>;
}
