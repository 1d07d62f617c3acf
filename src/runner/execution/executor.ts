import type { InProgressChange } from '../../drivers/driver.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import type { ItemResult } from '../migration-result.ts';
import { primeChecksums, type UnitPlan } from '../plan.ts';
import { BatchRunner } from './batch-runner.ts';
import { ChangeInvoker } from './change-invoker.ts';
import { Compensator } from './compensator.ts';
import { CrashMarker } from './crash-marker.ts';
import type { RunContext } from './run-context.ts';
import { RunResults } from './run-results.ts';
import { StepRunner } from './step-runner.ts';
import { type ExecutionParts, runWithStrategy, strategyFor } from './strategies.ts';

/**
 * Runs planned units and records each item, for one operation holding the lock. Failure handling
 * follows Mongock: a failed transactional item leaves nothing behind but its FAILED entry; a failed
 * non-transactional item (and the before-steps of its unit) is rolled back through the rollback
 * methods, newest first, recorded ROLLED_BACK or ROLLBACK_FAILED. With `failFast: false` the
 * FAILED entry is kept and the run goes on.
 */
export class Executor {
  readonly #parts: ExecutionParts;
  /** The history the operation read under the lock, for batched steps (read once, lazily, when not given). */
  #history: Promise<readonly ChangeEntry[]> | undefined;
  /** The checkpoint store, made once per operation (a round trip the first batched unit pays, not each one). */
  #prepared: Promise<void> | undefined;
  /** The checkpoints as the operation found them (read once, lazily, when not given); the batch runner tracks its own writes. */
  #checkpoints: Promise<readonly BatchCheckpoint[]> | undefined;

  /** `interrupted`: a crashed run left a crash marker that this run must settle. */
  constructor(run: RunContext, interrupted: boolean) {
    const invoker = new ChangeInvoker(run);
    const results = new RunResults(run);
    const marker = new CrashMarker(run, interrupted);
    const history = () => (this.#history ??= run.connection.readHistory());
    const checkpoints = async () => {
      const store = run.connection.checkpoints;
      if (store === undefined) return [];
      this.#prepared ??= store.prepare();
      await this.#prepared;
      this.#checkpoints ??= store.read();
      return this.#checkpoints;
    };
    const tools = { run, invoker, results, marker, history, checkpoints, batches: undefined as unknown as BatchRunner };
    tools.batches = new BatchRunner(tools);
    this.#parts = { ...tools, steps: new StepRunner(tools), compensator: new Compensator(tools) };
  }

  get results(): readonly ItemResult[] {
    return this.#parts.results.items;
  }

  /** Runs every pending unit in order (`history`: the one `plans` were made from); throws a `MongockError` on a fail-fast failure. */
  async run(plans: readonly UnitPlan[], history?: readonly ChangeEntry[]): Promise<void> {
    await primeChecksums(plans);
    if (history !== undefined) this.#history = Promise.resolve(history);
    const { run } = this.#parts;
    return runWithStrategy(strategyFor(run.config, run.transactional, plans), this.#parts, plans);
  }

  /** Settles the change a crashed run left in progress (see {@link Compensator.recover}). */
  recover(change: InProgressChange, plans: readonly UnitPlan[]): Promise<void> {
    return this.#parts.compensator.recover(change, plans);
  }

  /**
   * Rolls back executed units, given newest first (`history` and `checkpoints`: those `plans`
   * were made from); throws `UNDO_FAILED`.
   */
  undo(plans: readonly UnitPlan[], history?: readonly ChangeEntry[], checkpoints?: readonly BatchCheckpoint[]): Promise<void> {
    if (history !== undefined) this.#history = Promise.resolve(history);
    if (checkpoints !== undefined) this.#checkpoints = Promise.resolve(checkpoints);
    return this.#parts.compensator.undo(plans);
  }
}
