import type { ChangeStep } from '../change/change-unit.ts';
import type { DriverConnection, InProgressChange, Scope } from '../drivers/driver.ts';
import { describeError, isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry, ChangeState } from '../history/change-entry.ts';
import type { LockManager } from '../lock/lock-manager.ts';
import type { EventBus } from './events.ts';
import type { ItemOutcome, ItemResult } from './migration-result.ts';
import { type PlanItem, primeChecksums, type UnitPlan } from './plan.ts';
import type { ResolvedConfig } from './resolve-config.ts';

/** Everything one run shares. */
export interface RunContext {
  readonly config: ResolvedConfig;
  readonly connection: DriverConnection<object>;
  readonly lock: LockManager;
  readonly events: EventBus;
  readonly executionId: string;
  readonly hostname: string;
  /** Whether execution items run in transactions (config and connected database agree). */
  readonly transactional: boolean;
}

/** An item that ran in this run, kept for rollback in reverse order. */
interface Processed {
  readonly item: PlanItem;
  readonly startedAt: number;
}

/**
 * Runs planned units and records each item. Failure handling follows Mongock: a failed
 * transactional item leaves nothing behind but its FAILED entry; a failed non-transactional
 * item (and the before-steps of its unit) is rolled back through the rollback methods, newest
 * first, recorded ROLLED_BACK or ROLLBACK_FAILED. With `failFast: false` the FAILED entry is
 * kept and the run goes on.
 */
export class Executor {
  readonly #run: RunContext;
  readonly #instances = new Map<object, Promise<object>>();
  readonly #results: ItemResult[] = [];

  constructor(run: RunContext) {
    this.#run = run;
  }

  get results(): readonly ItemResult[] {
    return this.#results;
  }

  /** Runs every pending unit in order; throws a `MongockError` on a fail-fast failure. */
  async run(plans: readonly UnitPlan[]): Promise<void> {
    const { config } = this.#run;
    primeChecksums(plans);
    if (config.transactionStrategy === 'execution' && this.#run.transactional) return this.#runInOneTransaction(plans);
    const processedInRun: Processed[] = [];
    const skippedChangeLogs = new Set<string>();
    for (const plan of plans) {
      const { model } = plan.unit;
      if (model.form === 'change-set' && skippedChangeLogs.has(model.className)) {
        for (const item of plan.items) this.#record(item, 'skipped', 0, undefined, 'not-reached');
        continue;
      }
      if (!plan.pending) {
        for (const item of plan.items) await this.#skipExecuted(item);
        continue;
      }
      const processedInUnit: Processed[] = [];
      for (const item of plan.items) {
        if (item.executed && !model.runAlways) {
          await this.#skipExecuted(item);
          continue;
        }
        const transactional = item.type === 'EXECUTION' && this.#run.transactional && model.transactional !== false;
        const processed: Processed = { item, startedAt: performance.now() };
        const error = await this.#runItem(item, transactional);
        if (error === undefined) {
          processedInUnit.push(processed);
          continue;
        }
        if (!model.failFast || (model.form === 'change-set' && !model.changeLogFailFast)) {
          // Not fail-fast: FAILED is recorded, nothing is rolled back (Mongock), the marker can go.
          if (!transactional) await this.#run.lock.markInProgress(null);
          if (model.failFast) {
            this.#run.config.logger.warn(`Change '${item.changeId}' failed; skipping the rest of ChangeLog ${model.className} (failFast: false).`);
            skippedChangeLogs.add(model.className);
          } else {
            this.#run.config.logger.warn(`Change '${item.changeId}' failed and is not fail-fast; continuing: ${describeError(error)}`);
          }
          break;
        }
        // Fail fast: undo what cannot be undone by a transaction, newest first. A unit whose
        // class could not even be instantiated ran nothing, so there is nothing of it to undo.
        const toUndo = config.transactionStrategy === 'execution' ? [...processedInRun, ...processedInUnit] : processedInUnit;
        if (!transactional && !(error instanceof InstantiationError)) toUndo.push(processed);
        const rollbackError = await this.#rollbackAll(toUndo.reverse(), error);
        if (rollbackError === undefined && !transactional) await this.#run.lock.markInProgress(null);
        throw failure(item, error, rollbackError);
      }
      processedInRun.push(...processedInUnit);
    }
  }

  /**
   * A previous run died in the middle of a change that ran outside a transaction (the lock's
   * in-progress marker says which). If that change was recorded after all, only the marker is
   * stale. Otherwise, with `onInterruptedChange: 'rollback'` and a rollback method, the change is
   * rolled back and recorded ROLLED_BACK with the interruption as its error, so that this run
   * applies it again; else the run stops with `CHANGE_INTERRUPTED` and the marker stays.
   */
  async recoverInterrupted(change: InProgressChange, plans: readonly UnitPlan[], interruptedError: (change: InProgressChange) => MongockError): Promise<void> {
    const { config, lock, connection } = this.#run;
    const item = plans.flatMap((plan) => plan.items).find((candidate) => candidate.changeId === change.changeId && candidate.unit.author === change.author);
    const history = await connection.readHistory();
    // The dead run may have finished the step after all (EXECUTED), or finished rolling it back
    // (ROLLED_BACK), and died before clearing the marker: then only the marker is stale. A FAILED
    // or ROLLBACK_FAILED entry means the data is in between: roll back (again).
    const settled = history.find(
      (entry) =>
        entry.executionId === change.executionId &&
        entry.changeId === change.changeId &&
        entry.author === change.author &&
        (entry.state === 'EXECUTED' || entry.state === 'ROLLED_BACK') &&
        entry.timestamp.getTime() >= change.startedAt.getTime(),
    );
    if (settled !== undefined) {
      config.logger.warn(
        `Change '${change.changeId}' by '${change.author}' was recorded ${settled.state} before its run (${change.executionId}) died; clearing the stale in-progress marker.`,
      );
      await lock.markInProgress(null);
      return;
    }
    if (config.onInterruptedChange === 'fail' || item === undefined || item.rollback === undefined) throw interruptedError(change);
    const reason = `interrupted: the process running it (execution ${change.executionId} on ${change.hostname}, started ${change.startedAt.toISOString()}) stopped before recording it`;
    config.logger.warn(
      `Change '${change.changeId}' by '${change.author}' was ${reason}; running its rollback method, then applying it again (onInterruptedChange: 'rollback').`,
    );
    // Recorded under the interrupted execution's id: the re-run's EXECUTED entry must not replace it.
    const rollbackError = await this.#rollbackAll([{ item, startedAt: performance.now() }], new Error(reason), change.executionId);
    if (rollbackError !== undefined) throw failure(item, new Error(reason), rollbackError);
    await lock.markInProgress(null);
  }

  /** Rolls back executed units (given newest first): execution, then before-step, each recorded ROLLED_BACK. */
  async undo(plans: readonly UnitPlan[]): Promise<void> {
    for (const plan of plans) {
      for (const item of [...plan.items].reverse()) {
        if (!item.executed || item.rollback === undefined) continue;
        const started = performance.now();
        const transactional = item.type === 'EXECUTION' && this.#run.transactional && plan.unit.model.transactional !== false;
        try {
          if (!transactional) await this.#markStarted(item, this.#run.executionId);
          await this.#run.connection.runInScope({ transactional, lease: this.#run.lock.lease, guard: this.#run.lock }, async (scope) => {
            await this.#invoke(item.rollback!, item, scope);
            await scope.saveEntry(this.#entry(item, 'ROLLED_BACK', -1, null, item.rollback!.name));
          });
          if (!transactional) await this.#run.lock.markInProgress(null);
          this.#record(item, 'rolled-back', performance.now() - started);
        } catch (error) {
          if (isLockLost(error, this.#run.lock)) throw lockLost(error, this.#run.lock);
          await this.#saveOutside(this.#entry(item, 'ROLLBACK_FAILED', -1, JSON.stringify({ 'rollback-error': describeError(error) }), item.rollback!.name));
          this.#record(item, 'rollback-failed', performance.now() - started, error);
          const reason = error instanceof Error ? error.message : String(error);
          throw new MongockError(
            'UNDO_FAILED',
            `Rolling back '${item.changeId}' by '${item.unit.author}' failed: ${reason}. Units rolled back before it stay rolled back.`,
            {
              changeId: item.changeId,
              author: item.unit.author,
              file: item.unit.model.source,
              cause: error,
            },
          );
        }
      }
    }
  }

  /** `transactionStrategy: 'execution'`: every item and entry in one transaction. */
  async #runInOneTransaction(plans: readonly UnitPlan[]): Promise<void> {
    const { connection, lock, config } = this.#run;
    // Before-steps stay outside the transaction (DDL), each recorded on its own, all before it.
    const befores: Processed[] = [];
    for (const plan of plans) {
      const item = plan.items.find((candidate) => candidate.type === 'BEFORE_EXECUTION');
      if (item === undefined || (item.executed && !plan.unit.model.runAlways)) continue;
      const error = await this.#runItem(item, false);
      if (error === undefined) {
        befores.push({ item, startedAt: performance.now() });
        continue;
      }
      const toUndo = error instanceof InstantiationError ? befores : [...befores, { item, startedAt: performance.now() }];
      const rollbackError = await this.#rollbackAll(toUndo.reverse(), error);
      if (rollbackError === undefined) await lock.markInProgress(null);
      throw failure(item, error, rollbackError);
    }
    let failing: PlanItem | undefined;
    const pendingResults: ItemResult[] = [];
    try {
      await connection.runInScope({ transactional: true, lease: lock.lease, guard: lock }, async (scope) => {
        // The driver may run this callback again after a transient error: start clean each time.
        pendingResults.length = 0;
        for (const plan of plans) {
          for (const item of plan.items) {
            if (item.executed && !plan.unit.model.runAlways) {
              if (config.trackIgnored) await scope.saveEntry(this.#entry(item, 'IGNORED', -1, null));
              pendingResults.push(
                result(item, config.trackIgnored ? 'ignored' : 'skipped', 0, undefined, config.trackIgnored ? undefined : 'already-executed'),
              );
              continue;
            }
            if (item.type === 'BEFORE_EXECUTION') continue; // ran above
            failing = item;
            this.#run.events.emit('unit-started', { changeId: item.changeId, author: item.unit.author });
            const started = performance.now();
            await this.#invoke(item.step, item, scope);
            const millis = Math.round(performance.now() - started);
            if (!item.executed) await scope.saveEntry(this.#entry(item, 'EXECUTED', millis, null));
            pendingResults.push(result(item, 'executed', millis));
          }
        }
        failing = undefined;
      });
    } catch (error) {
      if (isLockLost(error, lock)) throw lockLost(error, lock);
      if (failing === undefined) throw error;
      await this.#saveOutside(this.#entry(failing, 'FAILED', -1, trace(error)));
      this.#record(failing, 'failed', 0, error);
      // The transaction took the executions back; the before-steps need their rollback methods.
      const rollbackError = await this.#rollbackAll([...befores].reverse(), error);
      if (rollbackError === undefined && befores.length > 0) await lock.markInProgress(null);
      throw failure(failing, error, rollbackError);
    }
    for (const item of pendingResults) this.#push(item);
  }

  /** Runs one item and records it; returns the error when it failed (already recorded). */
  async #runItem(item: PlanItem, transactional: boolean): Promise<unknown> {
    const { connection, lock, events } = this.#run;
    events.emit('unit-started', { changeId: item.changeId, author: item.unit.author });
    const started = performance.now();
    const record = !item.executed; // runAlways re-executions leave no trace, as in Mongock
    if (transactional) {
      try {
        await connection.runInScope({ transactional: true, lease: lock.lease, guard: lock }, async (scope) => {
          await this.#invoke(item.step, item, scope);
          if (record) await scope.saveEntry(this.#entry(item, 'EXECUTED', Math.round(performance.now() - started), null));
        });
        this.#record(item, 'executed', performance.now() - started);
        return undefined;
      } catch (error) {
        if (isLockLost(error, lock)) throw lockLost(error, lock);
        // The transaction took the change back; the FAILED entry is written outside it.
        await this.#saveOutside(this.#entry(item, 'FAILED', -1, trace(error)));
        this.#record(item, 'failed', performance.now() - started, error);
        return error;
      }
    }
    await this.#markStarted(item, this.#run.executionId);
    let failed: unknown;
    try {
      await connection.runInScope({ transactional: false, lease: lock.lease, guard: lock }, async (scope) => {
        try {
          await this.#invoke(item.step, item, scope);
        } catch (error) {
          failed = error ?? new Error('change threw a nullish value');
        }
        if (isLockLost(failed, lock)) return;
        if (failed !== undefined) await scope.saveEntry(this.#entry(item, 'FAILED', -1, trace(failed)));
        else if (record) await scope.saveEntry(this.#entry(item, 'EXECUTED', Math.round(performance.now() - started), null));
      });
    } catch (error) {
      failed ??= error;
    }
    if (isLockLost(failed, lock)) throw lockLost(failed, lock);
    // On failure the marker stays until the failure is handled (rolled back, or not fail-fast).
    if (failed === undefined) await lock.markInProgress(null);
    this.#record(item, failed === undefined ? 'executed' : 'failed', performance.now() - started, failed);
    return failed;
  }

  /** Rolls back items newest first; stops at the first rollback that throws, as Mongock. */
  async #rollbackAll(items: readonly Processed[], executionError: unknown, executionId = this.#run.executionId): Promise<unknown> {
    for (const { item } of items) {
      if (item.rollback === undefined) {
        this.#run.config.logger.warn(`Change '${item.changeId}' has no rollback method; it cannot be rolled back.`);
        continue;
      }
      try {
        // A crash during a rollback must be found by the next run, as a crash during a change is.
        await this.#markStarted(item, executionId);
        await this.#run.connection.runInScope({ transactional: false, lease: this.#run.lock.lease, guard: this.#run.lock }, async (scope) => {
          await this.#invoke(item.rollback!, item, scope);
          await scope.saveEntry({ ...this.#entry(item, 'ROLLED_BACK', -1, trace(executionError)), executionId });
        });
        this.#replace(item, 'rolled-back');
      } catch (rollbackError) {
        if (isLockLost(rollbackError, this.#run.lock)) throw lockLost(rollbackError, this.#run.lock);
        await this.#saveOutside({ ...this.#entry(item, 'ROLLBACK_FAILED', -1, trace(executionError, rollbackError)), executionId });
        this.#replace(item, 'rollback-failed', rollbackError);
        return rollbackError;
      }
    }
    return undefined;
  }

  /** Marks a step as running outside a transaction: a crash from here on is found by the next run. */
  async #markStarted(item: PlanItem, executionId: string): Promise<void> {
    await this.#run.lock.markInProgress({
      changeId: item.changeId,
      author: item.unit.author,
      executionId,
      startedAt: new Date(),
      hostname: this.#run.hostname,
    });
  }

  async #skipExecuted(item: PlanItem, scope?: Scope<object>): Promise<void> {
    if (this.#run.config.trackIgnored) {
      const entry = this.#entry(item, 'IGNORED', -1, null);
      if (scope !== undefined) await scope.saveEntry(entry);
      else await this.#saveOutside(entry, true);
      this.#record(item, 'ignored', 0);
      return;
    }
    this.#record(item, 'skipped', 0, undefined, 'already-executed');
  }

  async #invoke(step: ChangeStep, item: PlanItem, scope: Scope<object>): Promise<void> {
    const { config } = this.#run;
    const target = await this.#instance(item);
    const context = Object.freeze({
      ...config.dependencies,
      ...scope.context,
      log: config.logger,
      metadata: config.metadata,
      executionId: this.#run.executionId,
      changeId: item.changeId,
      author: item.unit.author,
    });
    await step.invoke(target, context);
  }

  /** One instance per class per run, created by the configured factory (NestJS's injector). */
  #instance(item: PlanItem): Promise<object> | undefined {
    const unitClass = item.unit.model.steps.unitClass;
    if (unitClass === undefined) return undefined;
    let instance = this.#instances.get(unitClass);
    if (instance === undefined) {
      const factory = this.#run.config.changeUnitFactory;
      instance = (async () => (factory === undefined ? new (unitClass as new () => object)() : await factory(unitClass)))().catch((cause: unknown) => {
        throw new InstantiationError(unitClass.name, cause);
      });
      this.#instances.set(unitClass, instance);
    }
    return instance;
  }

  /** Writes an entry outside any transaction; a failure to record never hides the original error. */
  async #saveOutside(entry: ChangeEntry, strict = false): Promise<void> {
    const { connection, lock } = this.#run;
    try {
      await connection.runInScope({ transactional: false, lease: lock.lease, guard: lock }, (scope) => scope.saveEntry(entry));
    } catch (error) {
      if (strict) throw error;
      this.#run.config.logger.error(`Could not record ${entry.state} for '${entry.changeId}': ${describeError(error)}`);
    }
  }

  #entry(item: PlanItem, state: ChangeState, executionMillis: number, errorTrace: string | null, method = item.step.name): ChangeEntry {
    return {
      executionId: this.#run.executionId,
      changeId: item.changeId,
      author: item.unit.author,
      timestamp: new Date(),
      state,
      type: item.type,
      changeLogClass: item.unit.model.className,
      changeSetMethod: method,
      metadata: Object.keys(this.#run.config.metadata).length === 0 ? null : this.#run.config.metadata,
      executionMillis,
      executionHostname: this.#run.hostname,
      errorTrace,
      systemChange: false,
      checksum: item.checksum,
    };
  }

  #record(item: PlanItem, outcome: ItemOutcome, durationMs: number, error?: unknown, reason?: ItemResult['reason']): void {
    this.#push(result(item, outcome, durationMs, error, reason));
  }

  #push(itemResult: ItemResult): void {
    this.#results.push(itemResult);
    this.#run.events.emit('unit-finished', { item: itemResult });
  }

  /** A rollback changes the outcome already reported for an item. */
  #replace(item: PlanItem, outcome: ItemOutcome, error?: unknown): void {
    const index = this.#results.findLastIndex((r) => r.changeId === item.changeId && r.author === item.unit.author);
    const previous = this.#results[index];
    const next = result(item, outcome, previous?.durationMs ?? 0, error ?? previous?.error);
    if (index === -1) this.#results.push(next);
    else this.#results[index] = next;
    this.#run.events.emit('unit-finished', { item: next });
  }
}

/** A change unit class could not be instantiated: none of its methods ran. */
class InstantiationError extends Error {
  constructor(className: string, cause: unknown) {
    super(`Could not create an instance of change unit class ${className}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'InstantiationError';
  }
}

function result(item: PlanItem, outcome: ItemOutcome, durationMs: number, error?: unknown, reason?: ItemResult['reason']): ItemResult {
  return Object.freeze({
    changeId: item.changeId,
    author: item.unit.author,
    type: item.type,
    outcome,
    durationMs: Math.round(durationMs),
    ...(reason === undefined ? {} : { reason }),
    ...(error === undefined ? {} : { error }),
  });
}

/** Java Mongock's errorTrace: a JSON string with the execution and rollback errors. */
function trace(executionError: unknown, rollbackError?: unknown): string {
  const body: Record<string, string> = { 'execution-error': describeError(executionError) };
  if (rollbackError !== undefined) body['rollback-error'] = describeError(rollbackError);
  return JSON.stringify(body);
}

function isLockLost(error: unknown, lock: LockManager): boolean {
  return isMongockError(error, 'LOCK_LOST') || (error !== undefined && lock.lost);
}

function lockLost(error: unknown, lock: LockManager): MongockError {
  if (isMongockError(error, 'LOCK_LOST')) return error;
  return (
    lock.lostError() ??
    new MongockError('LOCK_LOST', `The Mongock lock was lost while a change was running (${describeError(error)}); stopping. Run again to finish.`, {
      cause: error,
    })
  );
}

function failure(item: PlanItem, error: unknown, rollbackError: unknown): MongockError {
  const where = item.unit.model.source === undefined ? '' : ` (${item.unit.model.source})`;
  const reason = error instanceof Error ? error.message : String(error);
  if (rollbackError !== undefined) {
    const rollbackReason = rollbackError instanceof Error ? rollbackError.message : String(rollbackError);
    return new MongockError(
      'ROLLBACK_FAILED',
      `Change '${item.changeId}' by '${item.unit.author}'${where} failed: ${reason}; then its rollback failed too: ${rollbackReason}. The database may hold part of the change; check it before running again.`,
      {
        changeId: item.changeId,
        author: item.unit.author,
        file: item.unit.model.source,
        cause: error,
      },
    );
  }
  return new MongockError('CHANGE_FAILED', `Change '${item.changeId}' by '${item.unit.author}'${where} failed: ${reason}`, {
    changeId: item.changeId,
    author: item.unit.author,
    file: item.unit.model.source,
    cause: error,
  });
}
