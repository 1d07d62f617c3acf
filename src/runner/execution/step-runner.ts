import type { Scope } from '../../drivers/driver.ts';
import { errorMessage } from '../../errors/mongock-error.ts';
import { monotonicNow } from '../../runtime/monotonic-now.ts';
import type { PlanItem } from '../plan.ts';
import { UNFINISHED } from './batch-runner.ts';
import { entryFor, errorTrace, saveOutside } from './entries.ts';
import { inScope, isLockLost, throwIfLockLost } from './run-context.ts';
import type { StepTools } from './step-tools.ts';

/**
 * Runs one plan item and records it. In a transaction, the step and its EXECUTED entry commit
 * together and a FAILED entry is written outside the rolled-back transaction. Outside one, the
 * crash marker covers the step until it is recorded. runAlways re-executions leave no new entry,
 * as in Mongock.
 */
export class StepRunner {
  readonly #tools: StepTools;

  constructor(tools: StepTools) {
    this.#tools = tools;
  }

  /**
   * Returns the error when the item failed (already recorded FAILED), undefined when it ran,
   * {@link UNFINISHED} when a batched step stopped at its time budget (reported `in-progress`).
   */
  async run(item: PlanItem, transactional: boolean): Promise<unknown> {
    this.#tools.run.events.emit('unit-started', { changeId: item.changeId, author: item.unit.author });
    const started = monotonicNow();
    let failed: unknown;
    if (item.step.batched !== undefined) failed = await this.#tools.batches.execute(item, transactional, started);
    else failed = transactional ? await this.#inTransaction(item, started) : await this.#outsideTransaction(item, started);
    const durationMs = monotonicNow() - started;
    if (failed === UNFINISHED) this.#tools.results.record(item, 'in-progress', durationMs);
    else this.#tools.results.record(item, failed === undefined ? 'executed' : 'failed', durationMs, failed);
    return failed;
  }

  /** An already-executed item: an IGNORED entry with `trackIgnored`, else only a result. */
  async skipExecuted(item: PlanItem): Promise<void> {
    if (this.#tools.run.config.trackIgnored) {
      await saveOutside(this.#tools.run, entryFor(this.#tools.run, item, 'IGNORED', -1, null), true);
      this.#tools.results.record(item, 'ignored', 0);
      return;
    }
    this.#tools.results.record(item, 'skipped', 0, undefined, 'already-executed');
  }

  /** An item not run because an earlier one failed. */
  skipNotReached(item: PlanItem): void {
    this.#tools.results.record(item, 'skipped', 0, undefined, 'not-reached');
  }

  async #inTransaction(item: PlanItem, started: number): Promise<unknown> {
    try {
      await inScope(this.#tools.run, true, async (scope) => {
        await this.#tools.invoker.invoke(item.step, item, scope);
        if (!item.executed) await scope.saveEntry(entryFor(this.#tools.run, item, 'EXECUTED', elapsed(started), null));
      });
      return undefined;
    } catch (error) {
      throwIfLockLost(error, this.#tools.run.lock, 'execute');
      const failure = error ?? nullish();
      // The transaction took the change back; the FAILED entry is written outside it.
      await saveOutside(this.#tools.run, entryFor(this.#tools.run, item, 'FAILED', -1, errorTrace(failure)));
      return failure;
    }
  }

  async #outsideTransaction(item: PlanItem, started: number): Promise<unknown> {
    await this.#tools.marker.set(item, this.#tools.run.executionId, 'execute');
    let failed: unknown;
    try {
      failed = await inScope(this.#tools.run, false, async (scope) => {
        const error = await this.#attempt(item, scope);
        if (error === undefined && !item.executed) await scope.saveEntry(entryFor(this.#tools.run, item, 'EXECUTED', elapsed(started), null));
        if (error !== undefined && !isLockLost(error, this.#tools.run.lock)) await this.#saveFailed(scope, item, error);
        return error;
      });
    } catch (error) {
      failed = error ?? nullish();
    }
    throwIfLockLost(failed, this.#tools.run.lock, 'execute');
    // On failure the marker stays until the failure is settled (rolled back, or accepted).
    if (failed === undefined) await this.#tools.marker.clear();
    return failed;
  }

  /** Runs the step; returns what it threw. */
  async #attempt(item: PlanItem, scope: Scope<object>): Promise<unknown> {
    try {
      await this.#tools.invoker.invoke(item.step, item, scope);
      return undefined;
    } catch (error) {
      return error ?? nullish();
    }
  }

  /** A FAILED entry in the step's own scope; failing to write it must not hide the step's error. */
  async #saveFailed(scope: Scope<object>, item: PlanItem, error: unknown): Promise<void> {
    try {
      await scope.saveEntry(entryFor(this.#tools.run, item, 'FAILED', -1, errorTrace(error)));
    } catch (saveError) {
      throwIfLockLost(saveError, this.#tools.run.lock, 'execute');
      this.#tools.run.config.logger.error(`Could not record FAILED for '${item.changeId}': ${errorMessage(saveError)}`);
    }
  }
}

function elapsed(started: number): number {
  return Math.round(monotonicNow() - started);
}

function nullish(): Error {
  return new Error('change threw a nullish value');
}
