import type { InProgressStep } from '../../lock/lock-primitive.ts';
import type { PlanItem } from '../plan.ts';
import type { RunContext } from './run-context.ts';

/**
 * The lock's in-progress marker, set and cleared only here. It says "the data of this item may
 * be half-changed": set before a step or a rollback runs outside a transaction, cleared once the
 * data is consistent again (the step recorded EXECUTED, its rollback ROLLED_BACK, or its failure
 * accepted by `failFast: false`). A failure waiting for its rollback keeps it, so that a crash
 * in between is found by the next run.
 */
export class CrashMarker {
  readonly #run: RunContext;
  #set: boolean;

  /** `set`: a crashed run left a marker that this run settles. */
  constructor(run: RunContext, set: boolean) {
    this.#run = run;
    this.#set = set;
  }

  async set(item: PlanItem, executionId: string, step: InProgressStep): Promise<void> {
    await this.#run.lock.markInProgress({
      changeId: item.changeId,
      author: item.unit.author,
      executionId,
      startedAt: new Date(),
      hostname: this.#run.hostname,
      step,
    });
    this.#set = true;
  }

  /**
   * The item's data is consistent again: the marker may go. It goes lazily (no round trip now):
   * the next item's marker replaces it, or the lock's release clears it. A crash before that
   * leaves a marker whose item the history already shows settled (EXECUTED or ROLLED_BACK in that
   * execution), which the next run recognises as stale; so each item costs one write of the lock
   * document instead of two.
   */
  async clear(): Promise<void> {
    if (!this.#set) return;
    this.#run.lock.settleInProgress();
    this.#set = false;
  }

  /** Marks `item`, runs `work`, clears when it succeeded; when it throws, the marker stays. */
  async around<T>(item: PlanItem, executionId: string, step: InProgressStep, work: () => Promise<T>): Promise<T> {
    await this.set(item, executionId, step);
    const result = await work();
    await this.clear();
    return result;
  }
}
