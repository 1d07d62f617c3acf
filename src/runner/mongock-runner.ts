import { errorMessage, isMongockError, MongockError } from '../errors/mongock-error.ts';
import { monotonicNow } from '../runtime/monotonic-now.ts';
import type { AcceptChecksumResult } from './accept-checksum.ts';
import { type BackgroundMigration, type BackgroundOptions, runInBackground } from './background.ts';
import { DOCTOR_CHECKS } from './doctor/checks.ts';
import type { Diagnosis } from './doctor/diagnose.ts';
import type { DoctorCheck } from './doctor/doctor-check.ts';
import { EventBus, type MongockEventName, type MongockListener } from './events.ts';
import type { MarkOptions, MarkResult } from './mark-options.ts';
import { logCompleted, type MigrationResult, migrationResult } from './migration-result.ts';
import { NOT_NEEDED, Operation } from './operation.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import type { RunBudget } from './run-budget.ts';
import { runMigration } from './run-migration.ts';
import type { MigrationStatus, OperationPlan, UndoResult, UnlockResult, ValidationReport } from './runner-results.ts';
import type { ExecuteOptions, UndoOptions } from './targets.ts';
import { UnitCatalog } from './unit-catalog.ts';

export type { AcceptChecksumResult } from './accept-checksum.ts';
export type { MigrationStatus, OperationPlan, UndoResult, UnlockResult, ValidationReport } from './runner-results.ts';
export type { ExecuteOptions, ExecuteScope, UndoOptions } from './targets.ts';

/**
 * Applies change units: `execute()` migrates, `undo()` rolls back, `status()` reports, all
 * through the configured driver. Built by {@link MongockBuilder}. One runner may run many
 * times; each operation opens and closes its own connection (see `operation.ts`).
 *
 * @example Apply what is pending, then report.
 * ```ts
 * import { MongockBuilder, type MongockRunner } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const runner: MongockRunner = new MongockBuilder().setDriver(sqliteDriver({ filename: 'app.db' })).addMigrationScanPath('./migrations').buildRunner();
 * const result = await runner.execute();
 * console.log(result.status, (await runner.status()).units.filter((unit) => unit.state === 'pending').length);
 * ```
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
  execute(options: ExecuteOptions = {}): Promise<MigrationResult> {
    return this.#execute(options, {});
  }

  /**
   * Runs `execute()` in slices of `sliceMs` (default the runner's `maxRunMs`, else 10 s), each
   * taking the lock only while it works, until nothing batched is left in progress: for a service
   * that starts serving while a long batched unit finishes. `stop()` ends it at the next batch
   * boundary (checkpoint saved) and waits. See docs/batched-changes.md.
   */
  executeInBackground(options: BackgroundOptions = {}): BackgroundMigration {
    const sliceMs = options.sliceMs ?? (this.#config.maxRunMs > 0 ? this.#config.maxRunMs : undefined);
    return runInBackground((budget) => this.#execute(options, budget), sliceMs, this.#config.logger);
  }

  async #execute(options: ExecuteOptions, budget: RunBudget): Promise<MigrationResult> {
    const started = monotonicNow();
    const executionId = this.#executionId();
    if (!this.#config.enabled) {
      this.#config.logger.info('Mongock is disabled (enabled: false); nothing was run.');
      return migrationResult('disabled', executionId, [], started);
    }
    this.#events.emit('migration-started', { executionId });
    try {
      const { status, items } = await runMigration(this.#operation, this.#config, this.#catalog, executionId, options, {
        ...budget,
        startedAt: this.#config.clock.now(),
      });
      const result = migrationResult(status, executionId, items, started);
      logCompleted(result, this.#config.logger);
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
    const { undoPlans, selectForUndo, Executor } = await import('./execution-path.ts');
    return this.#operation.withConnection(async (connection) => {
      if (selectForUndo((await undoPlans(connection, units)).plans, options).length === 0) return { executionId, items: [] };
      const undone = await this.#operation.withLock(connection, async (held) => {
        const executor = new Executor(this.#operation.runContext(held, executionId, this.#operation.transactional(connection)), false);
        const history = await connection.readHistory();
        const { plans, checkpoints } = await undoPlans(connection, units, history);
        await executor.undo(selectForUndo(plans, options), history, checkpoints);
        return { executionId, items: executor.results };
      });
      return undone === NOT_NEEDED ? { executionId, items: [] } : undone;
    });
  }

  /** Every unit with its state (executed, pending, failed, rolled back; changed since executed; a batched unit's progress), and the lock holder. Takes no lock, writes nothing. */
  async status(): Promise<MigrationStatus> {
    const units = await this.#catalog.units();
    const { readStatus } = await import('./execution-path.ts');
    return this.#operation.withConnection((connection) => readStatus(connection, units, this.#catalog.filtered));
  }

  /** The units `execute(options)` would run now, in order. Takes no lock, writes nothing (`migrate --dry-run`). */
  async plan(options: ExecuteOptions = {}): Promise<OperationPlan> {
    const units = await this.#catalog.units();
    const { unitStatuses, planUnits, scopeUnits, readCheckpoints } = await import('./execution-path.ts');
    return this.#operation.withConnection(async (connection) => {
      const history = await connection.readHistory();
      const pending = planUnits(scopeUnits(units, history, options), history).filter((plan) => plan.pending);
      return { units: unitStatuses(pending, history, await readCheckpoints(connection, pending)) };
    });
  }

  /** The units `undo(options)` would roll back now, newest first. Takes no lock, writes nothing (`undo --dry-run`). */
  async planUndo(options: UndoOptions): Promise<OperationPlan> {
    const units = await this.#catalog.units();
    const { unitStatuses, selectForUndo, undoPlans } = await import('./execution-path.ts');
    return this.#operation.withConnection(async (connection) => {
      const history = await connection.readHistory();
      const { plans, checkpoints } = await undoPlans(connection, units, history);
      return { units: unitStatuses(selectForUndo(plans, options), history, checkpoints) };
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
   * import { MongockBuilder } from 'mongock';
   * import { sqliteDriver } from 'mongock/sqlite';
   *
   * const runner = new MongockBuilder().setDriver(sqliteDriver({ filename: 'app.db' })).addMigrationScanPath('./migrations').buildRunner();
   * await runner.mark({ changeId: 'seed-users', resolution: 'applied', reason: 'finished by hand' });
   * await runner.mark({ allPending: true, resolution: 'applied', dryRun: true }); // changelog-sync preview
   * ```
   */
  async mark(options: MarkOptions): Promise<MarkResult> {
    const { checkMarkOptions, markContext, runMark } = await import('./execution-path.ts');
    checkMarkOptions(options);
    const units = await this.#catalog.units();
    return this.#operation.withConnection((connection) => runMark(markContext(this.#operation, this.#config, units, connection), options));
  }

  /**
   * Everything that would block or surprise the next run, each finding with what to do
   * (`mongock doctor`). Takes no lock, writes nothing. `extraChecks` run after the built-in ones.
   */
  async diagnose(extraChecks: readonly DoctorCheck[] = []): Promise<Diagnosis> {
    const units = await this.#catalog.units();
    const { diagnose, doctorInput, readLegacyRows, readCheckpoints, planUnits } = await import('./execution-path.ts');
    return this.#operation.withConnection(async (connection) => {
      const history = await connection.readHistory();
      const lock = await connection.lock.inspect();
      const legacy = await readLegacyRows(this.#config.legacyMigration, connection);
      const checkpoints = await readCheckpoints(connection, planUnits(units, history));
      const input = doctorInput({
        config: this.#config,
        units,
        filtered: this.#catalog.filtered,
        warnings: this.#catalog.warnings,
        history,
        lock,
        transactional: this.#operation.transactional(connection),
        legacy,
        checkpoints,
      });
      return diagnose(input, [...DOCTOR_CHECKS, ...extraChecks]);
    });
  }

  /** Loads and validates every unit without touching the database. */
  validate(): Promise<ValidationReport> {
    return this.#catalog.report();
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
   * import { MongockBuilder } from 'mongock';
   * import { sqliteDriver } from 'mongock/sqlite';
   *
   * const runner = new MongockBuilder().setDriver(sqliteDriver({ filename: 'app.db' })).addMigrationScanPath('./migrations').buildRunner();
   * await runner.acceptChecksum('add-status-field'); // `mongock validate --accept add-status-field`
   * ```
   */
  async acceptChecksum(changeId: string): Promise<AcceptChecksumResult> {
    const units = await this.#catalog.units();
    const { acceptChecksum } = await import('./execution-path.ts');
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

  #executionId(): string {
    return this.#config.executionId ?? newExecutionId();
  }
}

/** Mongock's execution id: local time plus a random suffix. */
function newExecutionId(): string {
  return `${new Date().toISOString()}-${Math.floor(Math.random() * 999)}`;
}
