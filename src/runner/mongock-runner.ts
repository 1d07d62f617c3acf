import type { UnitFile } from '../change/load-change-units.ts';
import type { LockHolder } from '../drivers/driver.ts';
import { errorMessage, isMongockError, MongockError } from '../errors/mongock-error.ts';
import { appliedFileDigests } from '../history/applied-files.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { type AcceptChecksumResult, acceptChecksum } from './accept-checksum.ts';
import { checkChecksums } from './checksum-policy.ts';
import { DOCTOR_CHECKS } from './doctor/checks.ts';
import { type Diagnosis, diagnose, doctorInput } from './doctor/diagnose.ts';
import type { DoctorCheck } from './doctor/doctor-check.ts';
import { EventBus, type MongockEventName, type MongockListener } from './events.ts';
import { Executor } from './execution/executor.ts';
import { type FilteredStatus, filteredStatuses, type IgnoredEntry, ignoredEntries } from './history-report.ts';
import { isLegacyImportPending } from './legacy-import.ts';
import { readLegacyRows } from './legacy-peers.ts';
import { checkMarkOptions, type MarkOptions, type MarkResult, runMark } from './mark.ts';
import { migrate } from './migrate.ts';
import { type ItemResult, type MigrationResult, migrationResult } from './migration-result.ts';
import { type HeldLock, NOT_NEEDED, Operation } from './operation.ts';
import { anyPending, planUnits } from './plan.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import { type ExecuteOptions, scopeUnits, selectForUndo, type UndoOptions } from './targets.ts';
import { UnitCatalog } from './unit-catalog.ts';
import { type UnitStatus, unitStatuses } from './unit-status.ts';

export type { AcceptChecksumResult } from './accept-checksum.ts';
export type { ExecuteOptions, ExecuteScope, UndoOptions } from './targets.ts';

export interface UndoResult {
  readonly executionId: string;
  /** Rolled back, newest first. */
  readonly items: readonly ItemResult[];
}

/** `runner.status()`: every unit with its state, and who holds the lock. Reads only. */
export interface MigrationStatus {
  readonly units: readonly UnitStatus[];
  /** Units in code that profiles or the system-version window leave out, with the reason. */
  readonly filtered: readonly FilteredStatus[];
  /** History entries no unit in code accounts for (renamed or deleted files): the runner ignores them. */
  readonly ignored: readonly IgnoredEntry[];
  readonly lock: LockHolder | null;
}

/** `runner.plan()` / `runner.planUndo()`: the units that would run (or be rolled back), in that order. Nothing is written. */
export interface OperationPlan {
  readonly units: readonly UnitStatus[];
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
      return {
        units: unitStatuses(planUnits(units, history), history),
        filtered: filteredStatuses(this.#catalog.filtered, history),
        ignored: ignoredEntries(units, this.#catalog.filtered, history),
        lock: await connection.lock.inspect(),
      };
    });
  }

  /** The units `execute(options)` would run now, in order. Takes no lock, writes nothing (`migrate --dry-run`). */
  async plan(options: ExecuteOptions = {}): Promise<OperationPlan> {
    const units = await this.#catalog.units();
    return this.#operation.withConnection(async (connection) => {
      const history = await connection.readHistory();
      return {
        units: unitStatuses(
          planUnits(scopeUnits(units, history, options), history).filter((plan) => plan.pending),
          history,
        ),
      };
    });
  }

  /** The units `undo(options)` would roll back now, newest first. Takes no lock, writes nothing (`undo --dry-run`). */
  async planUndo(options: UndoOptions): Promise<OperationPlan> {
    const units = await this.#catalog.units();
    return this.#operation.withConnection(async (connection) => {
      const history = await connection.readHistory();
      return { units: unitStatuses(selectForUndo(planUnits(units, history), options), history) };
    });
  }

  /**
   * Records a human decision about a unit whose real state the runner cannot know, as entries
   * Java Mongock reads (EXECUTED or ROLLED_BACK, the decision in `metadata.manualResolution`),
   * dated by the database clock, under the lock (refused while a live runner holds it). See
   * docs/operations.md.
   *
   * @example
   * ```ts
   * await runner.mark({ changeId: 'seed-users', resolution: 'applied', reason: 'finished by hand' });
   * await runner.mark({ allPending: true, resolution: 'applied', dryRun: true }); // changelog-sync preview
   * ```
   */
  async mark(options: MarkOptions): Promise<MarkResult> {
    checkMarkOptions(options);
    const units = await this.#catalog.units();
    return this.#operation.withConnection(async (connection) => {
      const withLockOnce = async <T>(work: (lock: HeldLock['lock'], interrupted: HeldLock['interrupted']) => Promise<T>): Promise<T> => {
        const done = await this.#operation.withLock(connection, (held) => work(held.lock, held.interrupted), { noWait: true, recoversInterrupted: true });
        if (done === NOT_NEEDED) throw new Error('unreachable: mark asks no stillNeeded');
        return done;
      };
      const context = {
        config: this.#config,
        units,
        connection,
        withLockOnce,
        hostname: this.#operation.hostname(),
        transactional: this.#operation.transactional(connection),
      };
      return runMark(context, options);
    });
  }

  /**
   * Everything that would block or surprise the next run, each finding with what to do
   * (`mongock doctor`). Takes no lock, writes nothing. `extraChecks` run after the built-in ones.
   */
  async diagnose(extraChecks: readonly DoctorCheck[] = []): Promise<Diagnosis> {
    const units = await this.#catalog.units();
    return this.#operation.withConnection(async (connection) => {
      const history = await connection.readHistory();
      const lock = await connection.lock.inspect();
      const legacy = await readLegacyRows(this.#config.legacyMigration, connection);
      const input = doctorInput({
        config: this.#config,
        units,
        filtered: this.#catalog.filtered,
        warnings: this.#catalog.warnings,
        history,
        lock,
        transactional: this.#operation.transactional(connection),
        legacy,
      });
      return diagnose(input, [...DOCTOR_CHECKS, ...extraChecks]);
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
    // Units from scan paths only, whole run: the files are listed and digested now, and imported
    // (if at all) once the history says which are not applied. Anything else loads (and fails)
    // before connecting.
    const whole = options.to === undefined && options.step === undefined && options.only === undefined;
    const files = whole && this.#catalog.fromFilesOnly ? await this.#catalog.listFiles() : undefined;
    const loaded = files === undefined ? await this.#catalog.units() : undefined;
    return this.#operation.withConnection(async (connection) => {
      const transactional = this.#operation.transactional(connection);
      const history = await connection.readHistory();
      if (files !== undefined && !isLegacyImportPending(this.#config, history) && allApplied(files, history)) {
        logger.info('Nothing to migrate: every change unit file is already applied, unchanged.');
        return { status: 'up-to-date', items: [] };
      }
      const units = loaded ?? (await this.#catalog.units());
      const scoped = scopeUnits(units, history, options);
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

/**
 * Whether the history proves every file applied and unchanged (its digest recorded with every
 * key it yields). Any other file (new, edited, moved, partly applied, with a runAlways unit)
 * sends the run down the full path, which imports and checks everything.
 */
function allApplied(files: readonly UnitFile[], history: readonly ChangeEntry[]): boolean {
  if (files.length === 0) return false;
  const applied = appliedFileDigests(history);
  return files.every((file) => applied.has(file.digest));
}

/** Mongock's execution id: local time plus a random suffix. */
function newExecutionId(): string {
  return `${new Date().toISOString()}-${Math.floor(Math.random() * 999)}`;
}
