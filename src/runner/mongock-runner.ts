import type { LockHolder } from '../drivers/driver.ts';
import { errorMessage, isMongockError, MongockError } from '../errors/mongock-error.ts';
import { type AcceptChecksumResult, acceptChecksum } from './accept-checksum.ts';
import { checkChecksums } from './checksum-policy.ts';
import { EventBus, type MongockEventName, type MongockListener } from './events.ts';
import { Executor } from './execution/executor.ts';
import { isLegacyImportPending } from './legacy-import.ts';
import { migrate } from './migrate.ts';
import { type ItemResult, type MigrationResult, migrationResult } from './migration-result.ts';
import { NOT_NEEDED, Operation } from './operation.ts';
import { anyPending, planUnits } from './plan.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import { type ExecuteOptions, selectForUndo, type UndoOptions, unitsUpTo } from './targets.ts';
import { UnitCatalog } from './unit-catalog.ts';
import { type UnitStatus, unitStatuses } from './unit-status.ts';

export type { AcceptChecksumResult } from './accept-checksum.ts';
export type { ExecuteOptions, UndoOptions } from './targets.ts';

export interface UndoResult {
  readonly executionId: string;
  /** Rolled back, newest first. */
  readonly items: readonly ItemResult[];
}

/** `runner.status()`: every unit with its state, and who holds the lock. Reads only. */
export interface MigrationStatus {
  readonly units: readonly UnitStatus[];
  readonly lock: LockHolder | null;
}

/** `runner.validate()`: the units that would take part, in order, with any warnings. */
export interface ValidationReport {
  readonly units: readonly {
    readonly changeId: string;
    readonly author: string;
    /** Display form: `order`, or `changeLogOrder/changeSetOrder`. */
    readonly order: string;
    /** What the runner sorts by, compared as strings left to right: `[order]` or `[changeLogOrder, changeSetOrder]`. */
    readonly orderKey: readonly string[];
    readonly source: string | undefined;
  }[];
  readonly warnings: readonly string[];
}

export interface UnlockResult {
  readonly holder: LockHolder | null;
  readonly released: boolean;
}

/**
 * Applies change units: `execute()` migrates, `undo()` rolls back, `status()` reports, all
 * through the configured driver. Built by {@link MongockBuilder}. One runner may run many
 * times; each operation opens and closes its own connection (see `operation.ts`).
 */
export class MongockRunner {
  readonly #config: ResolvedConfig;
  readonly #events: EventBus;
  readonly #operation: Operation;
  readonly #catalog: UnitCatalog;

  constructor(config: ResolvedConfig) {
    this.#config = config;
    this.#events = new EventBus((error) => config.logger.warn(`An event listener threw: ${errorMessage(error)}`));
    this.#operation = new Operation(config, this.#events);
    this.#catalog = new UnitCatalog(config);
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends MongockEventName>(event: E, listener: MongockListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  /**
   * Applies every pending change unit, in order, under the lock. Nothing pending: returns
   * `up-to-date` without taking the lock. Throws a {@link MongockError} when a unit fails
   * (`CHANGE_FAILED`), when the lock is lost, or when it cannot be obtained (unless
   * `throwExceptionIfCannotObtainLock` is false).
   */
  async execute(options: ExecuteOptions = {}): Promise<MigrationResult> {
    const started = performance.now();
    const executionId = this.#executionId();
    if (!this.#config.enabled) {
      this.#config.logger.info('Mongock is disabled (enabled: false); nothing was run.');
      return migrationResult('disabled', executionId, [], started);
    }
    this.#events.emit('migration-started', { executionId });
    try {
      const { status, items } = await this.#migrate(executionId, options);
      const result = migrationResult(status, executionId, items, started);
      this.#report(result);
      this.#events.emit('migration-succeeded', { result });
      return result;
    } catch (error) {
      const failure = isMongockError(error) ? error : new MongockError('DRIVER_ERROR', `Migration failed: ${errorMessage(error)}`, { cause: error });
      this.#events.emit('migration-failed', { error: failure });
      throw failure;
    }
  }

  /**
   * Rolls back executed units through their rollback methods, newest first, recording
   * ROLLED_BACK (a later `execute()` applies them again): `{ last: n }` the n most recent,
   * `{ to: id }` every executed unit from `id` (inclusive) to the newest.
   */
  async undo(options: UndoOptions): Promise<UndoResult> {
    const executionId = this.#executionId();
    const units = await this.#catalog.units();
    return this.#operation.withConnection(async (connection) => {
      if (selectForUndo(planUnits(units, await connection.readHistory()), options).length === 0) return { executionId, items: [] };
      const undone = await this.#operation.withLock(connection, async (held) => {
        const executor = new Executor(this.#operation.runContext(held, executionId, this.#operation.transactional(connection)), false);
        await executor.undo(selectForUndo(planUnits(units, await connection.readHistory()), options));
        return { executionId, items: executor.results };
      });
      return undone === NOT_NEEDED ? { executionId, items: [] } : undone;
    });
  }

  /** Every unit with its state (executed, pending, failed, rolled back; changed since executed), and the lock holder. Takes no lock, writes nothing. */
  async status(): Promise<MigrationStatus> {
    const units = await this.#catalog.units();
    return this.#operation.withConnection(async (connection) => {
      const history = await connection.readHistory();
      return { units: unitStatuses(planUnits(units, history), history), lock: await connection.lock.inspect() };
    });
  }

  /** Loads and validates every unit without touching the database. */
  async validate(): Promise<ValidationReport> {
    const units = await this.#catalog.units();
    return {
      units: units.map((unit) => ({
        changeId: unit.model.id,
        author: unit.author,
        order: unit.model.orderKey.filter(Boolean).join('/'),
        orderKey: unit.model.orderKey,
        source: unit.model.source,
      })),
      warnings: this.#catalog.warnings,
    };
  }

  /**
   * Records the current checksum of an executed unit whose code changed on purpose (after a
   * human checked it), so that `status` stops reporting it and `onChecksumMismatch: 'fail'`
   * lets migrations run again. Under the lock, the deciding EXECUTED entry (and its before-step
   * entry) is saved again with the new checksum, keeping its execution id, time and host.
   * Throws `INVALID_CONFIG` when no executed unit has that id.
   *
   * @example
   * ```ts
   * await runner.acceptChecksum('add-status-field'); // `mongock validate --accept add-status-field`
   * ```
   */
  async acceptChecksum(changeId: string): Promise<AcceptChecksumResult> {
    const units = await this.#catalog.units();
    return this.#operation.withConnection(async (connection) => {
      const accepted = await this.#operation.withLock(connection, (held) =>
        acceptChecksum(this.#operation.runContext(held, this.#executionId(), this.#operation.transactional(connection)), units, changeId),
      );
      return accepted === NOT_NEEDED ? { accepted: [] } : accepted;
    });
  }

  /**
   * Clears the lock when its lease has expired (or its holder's process is gone), or always with
   * `force` (also clears an interrupted-change marker, even one that cannot be read). Without
   * `force` the expiry is checked again in the very write that clears, so a holder that renewed
   * in between keeps its lock.
   */
  async unlock(options: { readonly force?: boolean } = {}): Promise<UnlockResult> {
    return this.#operation.withConnection(async (connection) => {
      const holder = await connection.lock.inspect();
      if (holder === null) return { holder, released: false };
      const force = options.force === true;
      if (!holder.expired && !force) return { holder, released: false };
      return { holder, released: await connection.lock.forceRelease({ onlyIfExpired: !force }) };
    });
  }

  /** `execute()` from loading to release: checks, the lock (only when something is pending), then `migrate`. */
  async #migrate(executionId: string, options: ExecuteOptions): Promise<{ status: MigrationResult['status']; items: readonly ItemResult[] }> {
    const { logger } = this.#config;
    const units = await this.#catalog.units();
    const scoped = unitsUpTo(units, options.to);
    return this.#operation.withConnection(async (connection) => {
      const transactional = this.#operation.transactional(connection);
      const history = await connection.readHistory();
      checkChecksums(this.#config, units, history);
      const needed = (now: Parameters<typeof anyPending>[1]) => anyPending(scoped, now) || isLegacyImportPending(this.#config, now);
      if (!needed(history)) {
        logger.info('Nothing to migrate: every change unit is already executed.');
        return { status: 'up-to-date', items: [] };
      }
      try {
        // While waiting, the holder may finish everything: then there is nothing to wait for.
        const stillNeeded = async () => needed(await connection.readHistory());
        const items = await this.#operation.withLock(
          connection,
          (held) => migrate(this.#operation.runContext(held, executionId, transactional), units, scoped, held.interrupted),
          { stillNeeded, recoversInterrupted: true },
        );
        if (items !== NOT_NEEDED) return { status: 'completed', items };
        logger.info('Another instance applied every pending change unit while this one waited for the lock.');
        return { status: 'up-to-date', items: [] };
      } catch (error) {
        if (!isMongockError(error, 'LOCK_NOT_ACQUIRED') || this.#config.throwExceptionIfCannotObtainLock) throw error;
        logger.warn(`${error.message} Starting without migrating (throwExceptionIfCannotObtainLock: false).`);
        return { status: 'lock-not-acquired', items: [] };
      }
    });
  }

  #executionId(): string {
    return this.#config.executionId ?? newExecutionId();
  }

  #report(result: MigrationResult): void {
    if (result.status !== 'completed') return;
    const skipped = result.items.filter((item) => item.outcome === 'skipped').length;
    this.#config.logger.info(
      `Migration ${result.executionId} finished in ${result.durationMs} ms: ${result.executed} executed, ${result.failed} failed, ${skipped} skipped.`,
    );
  }
}

/** Mongock's execution id: local time plus a random suffix. */
function newExecutionId(): string {
  return `${new Date().toISOString()}-${Math.floor(Math.random() * 999)}`;
}
