import type { InProgressChange } from '../../drivers/driver.ts';
import { changeFailedError, interruptedChangeError, interruptionFacts, undoFailedError } from '../../errors/error-builders.ts';
import { monotonicNow } from '../../runtime/monotonic-now.ts';
import type { PlanItem, UnitPlan } from '../plan.ts';
import { interruptedNeedsHuman, interruptedRecovery } from '../recovery.ts';
import { entryFor, errorTrace, saveOutside } from './entries.ts';
import { inScope, isTransactional, throwIfLockLost } from './run-context.ts';
import type { StepTools } from './step-tools.ts';

/** Why an item is rolled back: after a failure or an interruption (`rollback`), or on request (`undo`). */
type Direction = 'rollback' | 'undo';

interface Compensation {
  readonly direction: Direction;
  /** The failure being compensated; undefined for undo. */
  readonly cause: unknown;
  /** The execution the ROLLED_BACK entry is recorded under. */
  readonly executionId: string;
  readonly transactional: boolean;
  /** How a successful rollback is reported: `recovered` when it settles a crashed run's change. */
  readonly outcome: 'rolled-back' | 'recovered';
}

/**
 * The one rollback path, for fail-fast failures, interrupted-change recovery and `undo()`: each
 * item's rollback method runs (under the crash marker when outside a transaction) and is recorded
 * ROLLED_BACK, or ROLLBACK_FAILED when it throws, which stops the rollback, as in Mongock.
 */
export class Compensator {
  readonly #tools: StepTools;

  constructor(tools: StepTools) {
    this.#tools = tools;
  }

  /**
   * Rolls back `items` (newest first) after `cause` failed; returns the error of the first rollback
   * that threw. When all are rolled back, the failure is settled and the crash marker cleared.
   */
  async rollBack(
    items: readonly PlanItem[],
    cause: unknown,
    executionId = this.#tools.run.executionId,
    outcome: Compensation['outcome'] = 'rolled-back',
  ): Promise<unknown> {
    for (const item of items) {
      if (item.rollback === undefined) {
        this.#tools.run.config.logger.warn(`Change '${item.changeId}' has no rollback method; it cannot be rolled back.`);
        continue;
      }
      const error = await this.#rollBackOne(item, { direction: 'rollback', cause, executionId, transactional: false, outcome });
      if (error !== undefined) return error;
    }
    await this.#tools.marker.clear();
    return undefined;
  }

  /** Rolls back executed units (given newest first): after-step, execution, then before-step. Throws `UNDO_FAILED`. */
  async undo(plans: readonly UnitPlan[]): Promise<void> {
    for (const plan of plans) {
      for (const item of [...plan.items].reverse()) {
        if (!item.executed || item.rollback === undefined) continue;
        const compensation = {
          direction: 'undo',
          cause: undefined,
          executionId: this.#tools.run.executionId,
          transactional: isTransactional(this.#tools.run, item),
          outcome: 'rolled-back',
        } as const;
        const error = await this.#rollBackOne(item, compensation);
        if (error !== undefined) throw undoFailedError(failedChange(item), error);
      }
    }
  }

  /**
   * A previous run died in the middle of a change that ran outside a transaction (the lock's
   * in-progress marker says which). If that change was recorded after all, only the marker is
   * stale. Otherwise, with `onInterruptedChange: 'rollback'` and a rollback method, the change is
   * rolled back and recorded ROLLED_BACK with the interruption as its error, so that this run
   * applies it again; else the run stops with `CHANGE_INTERRUPTED` and the marker stays.
   */
  async recover(change: InProgressChange, plans: readonly UnitPlan[]): Promise<void> {
    const { config, connection } = this.#tools.run;
    const item = plans.flatMap((plan) => plan.items).find((candidate) => candidate.changeId === change.changeId && candidate.unit.author === change.author);
    const history = await connection.readHistory();
    // The dead run may have finished the step (EXECUTED) or its rollback (ROLLED_BACK) and died
    // before clearing the marker: only the marker is stale. FAILED or ROLLBACK_FAILED means the
    // data is in between: roll back (again). An EXECUTED entry under a rollback's marker was written
    // before that rollback began and settles nothing: the marker's step says so, no clock is
    // compared (markers written before `step` existed fall back to the times).
    const settled = history.find(
      (entry) =>
        entry.executionId === change.executionId &&
        entry.changeId === change.changeId &&
        entry.author === change.author &&
        (entry.state === 'ROLLED_BACK' ||
          (entry.state === 'EXECUTED' && (change.step === undefined ? entry.timestamp.getTime() >= change.startedAt.getTime() : change.step === 'execute'))),
    );
    if (settled !== undefined) {
      config.logger.warn(
        `Change '${change.changeId}' by '${change.author}' was recorded ${settled.state} before its run (${change.executionId}) died; clearing the stale in-progress marker.`,
      );
      await this.#tools.marker.clear();
      return;
    }
    // A failure the dead run did record (FAILED, ROLLBACK_FAILED): say so rather than "stopped before recording it".
    const recordedFailure = history.findLast(
      (entry) =>
        entry.executionId === change.executionId &&
        entry.changeId === change.changeId &&
        entry.author === change.author &&
        (entry.state === 'FAILED' || entry.state === 'ROLLBACK_FAILED') &&
        entry.timestamp.getTime() >= change.startedAt.getTime(),
    );
    if (item?.step.batched !== undefined || item?.rollback?.batched !== undefined) {
      // A batched step resumes after its checkpoint: at most the batch in flight runs again.
      config.logger.warn(
        `Batched change '${change.changeId}' by '${change.author}' was interrupted (execution ${change.executionId} on ${change.hostname}); resuming after its last checkpoint.`,
      );
      await this.#tools.marker.clear();
      return;
    }
    const facts = { ...change, ...(recordedFailure === undefined ? {} : { recorded: recordedFailure.state as 'FAILED' | 'ROLLBACK_FAILED' }) };
    const recovery = interruptedRecovery(item, config);
    if (item !== undefined && recovery === 'manual') throw interruptedNeedsHuman(item, change, plans);
    if (item !== undefined && recovery === 'retry') {
      config.logger.warn(
        `Change '${change.changeId}' by '${change.author}' was interrupted (execution ${change.executionId} on ${change.hostname}); applying it again without rolling back (recovery: 'retry').`,
      );
      await this.#tools.marker.clear();
      return;
    }
    if (recovery === 'fail' || item === undefined || item.rollback === undefined) throw interruptedChangeError(facts);
    const reason = new Error(`interrupted: ${interruptionFacts(facts)}`);
    config.logger.warn(
      `Change '${change.changeId}' by '${change.author}' was ${reason.message}; running its rollback method, then applying it again (onInterruptedChange: 'rollback').`,
    );
    // Recorded under the interrupted execution's id: the re-run's EXECUTED entry must not replace it.
    const rollbackError = await this.rollBack([item], reason, change.executionId, 'recovered');
    if (rollbackError !== undefined) throw changeFailedError(failedChange(item), reason, rollbackError, 'rollback');
  }

  /** Returns the rollback's error (recorded ROLLBACK_FAILED), undefined when it was rolled back. */
  async #rollBackOne(item: PlanItem, compensation: Compensation): Promise<unknown> {
    const { direction, cause, executionId, transactional, outcome } = compensation;
    const rollback = item.rollback!;
    // Mongock records a rollback after a failure under the execution method, an undo under the rollback method.
    const method = direction === 'undo' ? rollback.name : item.step.name;
    const started = monotonicNow();
    const entry = () => entryFor(this.#tools.run, item, 'ROLLED_BACK', -1, cause === undefined ? null : errorTrace(cause), method, executionId);
    const work = () =>
      rollback.batched !== undefined
        ? this.#tools.batches.rollback(item, transactional, entry)
        : inScope(this.#tools.run, transactional, async (scope) => {
            await this.#tools.invoker.invoke(rollback, item, scope);
            await scope.saveEntry(entry());
          });
    try {
      // Outside a transaction, a crash during a rollback must be found by the next run, as one during a change is.
      if (transactional) await work();
      else await this.#tools.marker.around(item, executionId, 'rollback', work);
      this.#tools.results.settle(item, outcome, monotonicNow() - started);
      return undefined;
    } catch (error) {
      throwIfLockLost(error, this.#tools.run.lock, direction);
      await saveOutside(this.#tools.run, entryFor(this.#tools.run, item, 'ROLLBACK_FAILED', -1, errorTrace(cause, error), method, executionId));
      this.#tools.results.settle(item, 'rollback-failed', monotonicNow() - started, error);
      return error;
    }
  }
}

/** The facts an error needs about an item. */
export function failedChange(item: PlanItem): { changeId: string; author: string; file: string | undefined } {
  return { changeId: item.changeId, author: item.unit.author, file: item.unit.model.source };
}
