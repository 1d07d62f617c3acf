import { collectChangeUnits, type LocatedSource } from '../change/collect-change-units.ts';
import { loadScanPaths } from '../change/load-change-units.ts';
import { describeUnit, type SelectedUnit, selectChangeUnits } from '../change/select-change-units.ts';
import type { DriverConnection, InProgressChange, LockHolder } from '../drivers/driver.ts';
import { describeError, isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { entryKey, latestDecisiveEntries } from '../history/is-executed.ts';
import { LockManager } from '../lock/lock-manager.ts';
import { builtins } from '../runtime/builtins.ts';
import { EventBus, type MongockEventName, type MongockListener } from './events.ts';
import { Executor, type RunContext } from './executor.ts';
import { importLegacyHistory, isLegacyImportPending } from './legacy-import.ts';
import type { ItemResult, MigrationResult } from './migration-result.ts';
import { anyPending, changedUnits, planUnits, type UnitPlan, type UnitStatus, unitStatuses } from './plan.ts';
import type { ResolvedConfig } from './resolve-config.ts';

export interface ExecuteOptions {
  /** Apply pending units up to and including this change id, in order. */
  readonly to?: string;
}

export type UndoOptions = { readonly to: string } | { readonly last: number };

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
  readonly units: readonly { readonly changeId: string; readonly author: string; readonly order: string; readonly source: string | undefined }[];
  readonly warnings: readonly string[];
}

/** `runner.acceptChecksum(id)`: the executed entries whose recorded checksum was replaced. */
export interface AcceptChecksumResult {
  readonly accepted: readonly { readonly changeId: string; readonly author: string; readonly previous: string | null; readonly checksum: string }[];
}

export interface UnlockResult {
  readonly holder: LockHolder | null;
  readonly released: boolean;
}

/**
 * Applies change units: `execute()` migrates, `undo()` rolls back, `status()` reports, all
 * through the configured driver. Built by {@link MongockBuilder}. One runner may run many
 * times; each operation opens and closes its own connection.
 */
export class MongockRunner {
  readonly #config: ResolvedConfig;
  readonly #events: EventBus;
  #loaded: Promise<readonly SelectedUnit[]> | undefined;

  constructor(config: ResolvedConfig) {
    this.#config = config;
    this.#events = new EventBus((error) => config.logger.warn(`An event listener threw: ${describeError(error)}`));
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
    const executionId = this.#config.executionId ?? newExecutionId();
    const finish = (status: MigrationResult['status'], items: readonly ItemResult[]): MigrationResult =>
      Object.freeze({
        status,
        executionId,
        items: Object.freeze([...items]),
        executed: items.filter((item) => item.outcome === 'executed').length,
        failed: items.filter((item) => item.outcome !== 'executed' && item.outcome !== 'skipped' && item.outcome !== 'ignored').length,
        durationMs: Math.round(performance.now() - started),
      });
    const { logger } = this.#config;
    if (!this.#config.enabled) {
      logger.info('Mongock is disabled (enabled: false); nothing was run.');
      return finish('disabled', []);
    }
    this.#events.emit('migration-started', { executionId });
    let executor: Executor | undefined;
    try {
      const units = await this.#units();
      const scoped = options.to === undefined ? units : upTo(units, options.to);
      const result = await this.#withConnection(async (connection) => {
        const transactional = this.#transactional(connection);
        const history = await connection.readHistory();
        this.#checkChecksums(units, history);
        if (!anyPending(scoped, history) && !isLegacyImportPending(this.#config, history)) {
          logger.info('Nothing to migrate: every change unit is already executed.');
          return finish('up-to-date', []);
        }
        const lock = this.#lockManager(connection);
        let interrupted: InProgressChange | null;
        try {
          // While waiting, the holder may finish everything: then there is nothing to wait for.
          const acquired = await lock.acquire(async () => {
            const now = await connection.readHistory();
            return anyPending(scoped, now) || isLegacyImportPending(this.#config, now);
          });
          if (acquired === 'not-needed') {
            logger.info('Another instance applied every pending change unit while this one waited for the lock.');
            return finish('up-to-date', []);
          }
          interrupted = acquired;
          this.#events.emit('lock-acquired', { owner: lock.lease.owner });
        } catch (error) {
          await lock.release();
          if (isMongockError(error, 'LOCK_NOT_ACQUIRED') && !this.#config.throwExceptionIfCannotObtainLock) {
            logger.warn(`${error.message} Starting without migrating (throwExceptionIfCannotObtainLock: false).`);
            return finish('lock-not-acquired', []);
          }
          throw error;
        }
        try {
          await connection.prepareHistory();
          const run: RunContext = { config: this.#config, connection, lock, events: this.#events, executionId, hostname: this.#hostname(), transactional };
          let current = await connection.readHistory();
          if (isLegacyImportPending(this.#config, current)) {
            await importLegacyHistory(run, current);
            current = await connection.readHistory();
          }
          executor = new Executor(run);
          if (interrupted !== null) {
            await executor.recoverInterrupted(interrupted, planUnits(units, current), (change) => interruptedError(change));
            current = await connection.readHistory();
          }
          // Re-plan under the lock: another instance may have applied units while we waited.
          await executor.run(planUnits(scoped, current));
          await lock.ensure();
        } finally {
          await lock.release();
        }
        return finish('completed', executor.results);
      });
      this.#report(result);
      this.#events.emit('migration-succeeded', { result });
      return result;
    } catch (error) {
      const failure = isMongockError(error) ? error : new MongockError('DRIVER_ERROR', `Migration failed: ${describeError(error)}`, { cause: error });
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
    const executionId = this.#config.executionId ?? newExecutionId();
    const units = await this.#units();
    return this.#withConnection(async (connection) => {
      const select = (history: readonly ChangeEntry[]): UnitPlan[] => selectForUndo(planUnits(units, history), options);
      const targets = select(await connection.readHistory());
      if (targets.length === 0) return { executionId, items: [] };
      const lock = await this.#lockForMaintenance(connection);
      try {
        const run: RunContext = {
          config: this.#config,
          connection,
          lock,
          events: this.#events,
          executionId,
          hostname: this.#hostname(),
          transactional: this.#transactional(connection),
        };
        const executor = new Executor(run);
        await executor.undo(select(await connection.readHistory()));
        return { executionId, items: executor.results };
      } finally {
        await lock.release();
      }
    });
  }

  /** Every unit with its state (executed, pending, failed, rolled back; changed since executed), and the lock holder. Takes no lock, writes nothing. */
  async status(): Promise<MigrationStatus> {
    const units = await this.#units();
    return this.#withConnection(async (connection) => {
      const history = await connection.readHistory();
      return { units: unitStatuses(planUnits(units, history), history), lock: await connection.lock.inspect() };
    });
  }

  /** Loads and validates every unit without touching the database. */
  async validate(): Promise<ValidationReport> {
    const units = await this.#units();
    return {
      units: units.map((unit) => ({
        changeId: unit.model.id,
        author: unit.author,
        order: unit.model.orderKey.filter(Boolean).join('/'),
        source: unit.model.source,
      })),
      warnings: this.#warnings,
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
    const units = await this.#units();
    return this.#withConnection(async (connection) => {
      const lock = await this.#lockForMaintenance(connection);
      try {
        const history = await connection.readHistory();
        const plans = planUnits(units, history).filter((plan) => plan.unit.model.id === changeId);
        const decisive = latestDecisiveEntries(history);
        const updates: { entry: ChangeEntry; checksum: string }[] = [];
        for (const plan of plans) {
          for (const item of plan.items) {
            const entry = decisive.get(entryKey(item.changeId, plan.unit.author));
            if (item.executed && entry !== undefined) updates.push({ entry, checksum: item.checksum });
          }
        }
        if (updates.length === 0) {
          throw new MongockError(
            'INVALID_CONFIG',
            `Cannot accept the checksum of '${changeId}': no executed change unit has that id. See \`mongock status\`.`,
            {
              changeId,
            },
          );
        }
        const transactional = this.#transactional(connection);
        await connection.runInScope({ transactional, lease: lock.lease, guard: lock }, async (scope) => {
          for (const { entry, checksum } of updates) await scope.saveEntry({ ...entry, checksum });
        });
        await lock.ensure();
        const accepted = updates
          .filter(({ entry }) => entry.type === 'EXECUTION')
          .map(({ entry, checksum }) => ({ changeId: entry.changeId, author: entry.author, previous: entry.checksum ?? null, checksum }));
        for (const item of accepted)
          this.#config.logger.info(`Accepted the new checksum of '${item.changeId}' by '${item.author}': ${item.previous ?? 'none'} -> ${item.checksum}.`);
        return { accepted };
      } finally {
        await lock.release();
      }
    });
  }

  /** Clears the lock when its lease has expired, or always with `force` (also clears an interrupted-change marker). */
  async unlock(options: { readonly force?: boolean } = {}): Promise<UnlockResult> {
    return this.#withConnection(async (connection) => {
      const holder = await connection.lock.inspect();
      if (holder === null) return { holder, released: false };
      if (!holder.expired && options.force !== true) return { holder, released: false };
      return { holder, released: await connection.lock.forceRelease() };
    });
  }

  #warnings: readonly string[] = [];

  /** `onChecksumMismatch`: executed units whose code changed since they ran warn, fail, or pass. */
  #checkChecksums(units: readonly SelectedUnit[], history: readonly ChangeEntry[]): void {
    const policy = this.#config.onChecksumMismatch;
    if (policy === 'ignore') return;
    const changedList = changedUnits(units, history);
    if (changedList.length === 0) return;
    const changed = unitStatuses(planUnits(changedList, history), history);
    const list = changed.map((unit) => `'${unit.changeId}' by '${unit.author}'${unit.source === undefined ? '' : ` (${unit.source})`}`).join(', ');
    const message = `The code of executed change unit${changed.length === 1 ? '' : 's'} ${list} changed since ${changed.length === 1 ? 'it' : 'they'} ran (checksum differs from the history).`;
    const fix =
      'If the change is intended, record the new checksum with `mongock validate --accept <id>` (runner.acceptChecksum(id)); otherwise restore the code.';
    if (policy === 'warn') {
      this.#config.logger.warn(`${message} ${fix}`);
      return;
    }
    throw new MongockError('CHECKSUM_MISMATCH', `${message} onChecksumMismatch is 'fail', so nothing was run. ${fix}`, {
      changeId: changed[0]!.changeId,
      author: changed[0]!.author,
      file: changed[0]!.source,
      problems: changed.map(
        (unit) => `${unit.changeId}: recorded ${unit.recordedChecksum}, now ${unit.checksum}${unit.source === undefined ? '' : ` (${unit.source})`}`,
      ),
    });
  }

  /** Loads, validates and orders the units once per runner; every problem is reported at once. */
  #units(): Promise<readonly SelectedUnit[]> {
    this.#loaded ??= this.#loadUnits().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    return this.#loaded;
  }

  async #loadUnits(): Promise<readonly SelectedUnit[]> {
    const config = this.#config;
    const located: LocatedSource[] = [
      ...(await loadScanPaths(config.migrationScanPaths)),
      ...config.changeUnits.map((source) => ({ source, file: undefined })),
    ];
    const collected = collectChangeUnits(located);
    const selection = selectChangeUnits(collected.units, config);
    const problems = [...collected.problems, ...selection.problems];
    if (config.transactionStrategy === 'execution') {
      for (const unit of selection.units) {
        if (unit.model.transactional === false)
          problems.push(
            `${describeUnit(unit.model)} says transactional: false, which one transaction for the whole execution cannot honour. Use transactionStrategy 'changeUnit'.`,
          );
      }
    }
    if (problems.length > 0) {
      const first = collected.units.find((unit) => problems[0]?.includes(`'${unit.id}'`));
      throw new MongockError('INVALID_CHANGE_UNIT', `Invalid change units; nothing was run:\n  - ${problems.join('\n  - ')}`, {
        problems,
        changeId: first?.id,
        file: first?.source,
      });
    }
    for (const warning of selection.warnings) config.logger.warn(warning);
    this.#warnings = selection.warnings;
    if (selection.units.length === 0) config.logger.warn('No change units were found (check migrationScanPath, profiles and the system-version window).');
    return selection.units;
  }

  async #withConnection<T>(work: (connection: DriverConnection<object>) => Promise<T>): Promise<T> {
    const { driver, migrationRepositoryName, lockRepositoryName, logger } = this.#config;
    const connection = await driver.connect({ migrationRepositoryName, lockRepositoryName, logger });
    try {
      return await work(connection);
    } finally {
      await connection.close();
    }
  }

  /** The lock for undo and checksum repair, which must not run over a half-applied change. */
  async #lockForMaintenance(connection: DriverConnection<object>): Promise<LockManager> {
    const lock = this.#lockManager(connection);
    const interrupted = await lock.acquire();
    if (interrupted !== null && interrupted !== 'not-needed') {
      await lock.release();
      throw interruptedError(interrupted);
    }
    return lock;
  }

  #transactional(connection: DriverConnection<object>): boolean {
    const wanted = this.#config.transactional;
    if (wanted === true && !connection.capabilities.transactions) {
      throw new MongockError(
        'INVALID_CONFIG',
        `Option 'transactional' is true, but this ${this.#config.driver.name} database cannot run transactions (e.g. a standalone server). Use a deployment with transactions, or remove the option.`,
      );
    }
    return wanted ?? connection.capabilities.transactions;
  }

  #lockManager(connection: DriverConnection<object>): LockManager {
    return new LockManager({
      primitive: connection.lock,
      config: this.#config.lockConfig,
      lease: connection.capabilities.lease,
      owner: builtins.crypto().randomUUID(),
      hostname: this.#hostname(),
      logger: this.#config.logger,
      onWaiting: (holder, waitedMs) => this.#events.emit('lock-waiting', { holder: holder?.owner ?? null, waitedMs }),
    });
  }

  #hostname(): string {
    const id = this.#config.serviceIdentifier;
    return id === undefined ? builtins.os().hostname() : `${builtins.os().hostname()}-${id}`;
  }

  #report(result: MigrationResult): void {
    if (result.status !== 'completed') return;
    const skipped = result.items.filter((item) => item.outcome === 'skipped').length;
    this.#config.logger.info(
      `Migration ${result.executionId} finished in ${result.durationMs} ms: ${result.executed} executed, ${result.failed} failed, ${skipped} skipped.`,
    );
  }
}

function upTo(units: readonly SelectedUnit[], id: string): readonly SelectedUnit[] {
  const index = units.findIndex((unit) => unit.model.id === id);
  if (index === -1) throw new MongockError('INVALID_CONFIG', `No change unit with id '${id}' to migrate to. Check the id (see \`mongock status\`).`);
  return units.slice(0, index + 1);
}

function selectForUndo(plans: readonly UnitPlan[], options: UndoOptions): UnitPlan[] {
  const executed = plans.filter((plan) => plan.items[plan.items.length - 1]!.executed);
  let targets: UnitPlan[];
  if ('to' in options) {
    const index = executed.findIndex((plan) => plan.unit.model.id === options.to);
    if (index === -1) throw new MongockError('UNDO_FAILED', `Cannot undo to '${options.to}': no executed change unit has that id. See \`mongock status\`.`);
    targets = executed.slice(index);
  } else {
    if (!Number.isInteger(options.last) || options.last < 1)
      throw new MongockError('INVALID_CONFIG', `undo({ last }) needs a positive integer; got ${String(options.last)}.`);
    targets = executed.slice(-options.last);
  }
  const missing = targets.filter((plan) => plan.items.some((item) => item.executed && item.rollback === undefined));
  if (missing.length > 0) {
    throw new MongockError(
      'UNDO_FAILED',
      `Cannot undo: ${missing.map((plan) => describeUnit(plan.unit.model)).join(', ')} ha${missing.length === 1 ? 's' : 've'} no rollback method. Nothing was rolled back.`,
      {
        changeId: missing[0]!.unit.model.id,
      },
    );
  }
  return targets.reverse();
}

function interruptedError(change: InProgressChange): MongockError {
  return new MongockError(
    'CHANGE_INTERRUPTED',
    `Change '${change.changeId}' by '${change.author}' was interrupted: the process running it (execution ${change.executionId} on ${change.hostname}, started ${change.startedAt.toISOString()}) stopped before recording it, and it ran outside a transaction, so its effects may be partial. ` +
      'Check the data (its rollback method may help), then clear the marker with `mongock unlock --force` (or runner.unlock({ force: true })); the unit runs again on the next migration. ' +
      "With onInterruptedChange: 'rollback' (the default) and a rollback method, Mongock rolls such a change back and applies it again by itself.",
    { changeId: change.changeId, author: change.author },
  );
}

/** Mongock's execution id: local time plus a random suffix. */
function newExecutionId(): string {
  return `${new Date().toISOString()}-${Math.floor(Math.random() * 999)}`;
}
