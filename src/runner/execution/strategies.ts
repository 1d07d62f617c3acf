import { afterStepFailedError, changeFailedError } from '../../errors/error-builders.ts';
import { errorMessage } from '../../errors/mongock-error.ts';
import { monotonicNow } from '../../runtime/monotonic-now.ts';
import type { ItemResult } from '../migration-result.ts';
import type { PlanItem, UnitPlan } from '../plan.ts';
import type { ResolvedConfig } from '../resolve-config.ts';
import { UNFINISHED } from './batch-runner.ts';
import { InstantiationError } from './change-invoker.ts';
import { type Compensator, failedChange } from './compensator.ts';
import { entryFor, errorTrace, saveOutside } from './entries.ts';
import { inScope, isTransactional, throwIfLockLost } from './run-context.ts';
import { itemResult } from './run-results.ts';
import type { StepRunner } from './step-runner.ts';
import type { StepTools } from './step-tools.ts';

/**
 * How a run's items are grouped into transactions and what a fail-fast failure rolls back:
 * - `per-unit`: each unit in its own transaction (when there are); a failure rolls back that unit.
 * - `whole-run-rollback`: `transactionStrategy: 'execution'` without transactions: units run one by
 *   one and a failure rolls back everything this run applied, newest first.
 * - `one-transaction`: `transactionStrategy: 'execution'` with transactions: before-steps first,
 *   each on its own (DDL), then every execution and its entry in one transaction.
 */
export type ExecutionStrategy = 'per-unit' | 'whole-run-rollback' | 'one-transaction';

/** The one place the strategy is chosen. A batched unit commits batch by batch, so a run with one pending is never one transaction. */
export function strategyFor(config: ResolvedConfig, transactional: boolean, plans: readonly UnitPlan[] = []): ExecutionStrategy {
  if (config.transactionStrategy === 'changeUnit') return 'per-unit';
  if (transactional && plans.some((plan) => plan.pending && plan.items.some((item) => item.step.batched !== undefined))) return 'per-unit';
  return transactional ? 'one-transaction' : 'whole-run-rollback';
}

/** The parts a strategy drives. */
export interface ExecutionParts extends StepTools {
  readonly steps: StepRunner;
  readonly compensator: Compensator;
}

/** Runs every pending unit in order; throws a `MongockError` on a fail-fast failure. */
export function runWithStrategy(strategy: ExecutionStrategy, parts: ExecutionParts, plans: readonly UnitPlan[]): Promise<void> {
  switch (strategy) {
    case 'per-unit':
      return unitByUnit(parts, plans, 'unit');
    case 'whole-run-rollback':
      return unitByUnit(parts, plans, 'run');
    case 'one-transaction':
      return oneTransaction(parts, plans);
    default:
      return strategy satisfies never;
  }
}

async function unitByUnit(parts: ExecutionParts, plans: readonly UnitPlan[], rollbackScope: 'unit' | 'run'): Promise<void> {
  const { run, steps, compensator } = parts;
  const doneInRun: PlanItem[] = [];
  const skippedGroups = new Set<string>();
  for (const plan of plans) {
    if (plan.group !== undefined && skippedGroups.has(plan.group)) {
      for (const item of plan.items) steps.skipNotReached(item);
      continue;
    }
    const doneInUnit: PlanItem[] = [];
    for (const item of plan.items) {
      if (item.executed && !plan.unit.model.runAlways) {
        await steps.skipExecuted(item);
        continue;
      }
      const transactional = isTransactional(run, item);
      const error = await steps.run(item, transactional);
      if (error === undefined) {
        doneInUnit.push(item);
        continue;
      }
      if (error === UNFINISHED) {
        // Stopped at its time budget: order matters, so nothing after it runs in this run.
        skipRest(parts, plans, item);
        return;
      }
      if (item.role === 'after') {
        // The unit committed: it stays EXECUTED. The after-step is FAILED and runs again next time.
        await parts.marker.clear();
        if (plan.onFailure === 'stop') throw afterStepFailedError(failedChange(item), item.unit.model.id, error);
        run.config.logger.warn(`After-step '${item.changeId}' failed and the unit is not fail-fast; continuing: ${errorMessage(error)}`);
        break;
      }
      if (plan.onFailure !== 'stop') {
        await accept(parts, plan, item, error, skippedGroups);
        break;
      }
      // Fail fast: undo what no transaction took back, newest first. A unit whose class could not
      // even be instantiated ran nothing, so there is nothing of it to undo.
      const toUndo = rollbackScope === 'run' ? [...doneInRun, ...doneInUnit] : [...doneInUnit];
      // A failed batch leaves the batches before it committed: the next run resumes after them.
      if (!transactional && !(error instanceof InstantiationError) && item.step.batched === undefined) toUndo.push(item);
      const rollbackError = await compensator.rollBack(toUndo.reverse(), error);
      throw changeFailedError(failedChange(item), error, rollbackError, 'execute');
    }
    doneInRun.push(...doneInUnit);
  }
}

/** Every item after `stopped`, reported not reached. */
function skipRest({ steps }: ExecutionParts, plans: readonly UnitPlan[], stopped: PlanItem): void {
  const items = plans.flatMap((plan) => plan.items);
  for (const item of items.slice(items.indexOf(stopped) + 1)) steps.skipNotReached(item);
}

/** Not fail-fast: FAILED stays recorded, nothing is rolled back (Mongock), and the run goes on. */
async function accept(parts: ExecutionParts, plan: UnitPlan, item: PlanItem, error: unknown, skippedGroups: Set<string>): Promise<void> {
  const { logger } = parts.run.config;
  await parts.marker.clear();
  if (plan.onFailure === 'skip-group' && plan.group !== undefined) {
    logger.warn(`Change '${item.changeId}' failed; skipping the rest of ChangeLog ${plan.group} (failFast: false).`);
    skippedGroups.add(plan.group);
  } else {
    logger.warn(`Change '${item.changeId}' failed and is not fail-fast; continuing: ${errorMessage(error)}`);
  }
}

async function oneTransaction(parts: ExecutionParts, plans: readonly UnitPlan[]): Promise<void> {
  const { run, steps, compensator, invoker, results } = parts;
  // Before-steps stay outside the transaction (DDL), each recorded on its own, all before it.
  const befores: PlanItem[] = [];
  for (const plan of plans) {
    const item = plan.items.find((candidate) => candidate.role === 'before');
    if (item === undefined || (item.executed && !plan.unit.model.runAlways)) continue;
    const error = await steps.run(item, false);
    if (error === undefined) {
      befores.push(item);
      continue;
    }
    const toUndo = error instanceof InstantiationError ? [...befores] : [...befores, item];
    const rollbackError = await compensator.rollBack(toUndo.reverse(), error);
    throw changeFailedError(failedChange(item), error, rollbackError, 'execute');
  }
  // Which item was running when the transaction failed. A variable rather than a wrapping error:
  // the driver must see the original error (MongoDB retries on its transient-error labels).
  let running: PlanItem | undefined;
  const done: ItemResult[] = [];
  try {
    await inScope(run, true, async (scope) => {
      // The driver may run this callback again after a transient error: start clean each time.
      done.length = 0;
      for (const plan of plans) {
        for (const item of plan.items) {
          if (item.executed && !plan.unit.model.runAlways) {
            const { trackIgnored } = run.config;
            if (trackIgnored) await scope.saveEntry(entryFor(run, item, 'IGNORED', -1, null));
            done.push(itemResult(item, trackIgnored ? 'ignored' : 'skipped', 0, undefined, trackIgnored ? undefined : 'already-executed'));
            continue;
          }
          if (item.role !== 'execution') continue; // before-steps ran above; after-steps run after the commit
          running = item;
          run.events.emit('unit-started', { changeId: item.changeId, author: item.unit.author });
          const started = monotonicNow();
          await invoker.invoke(item.step, item, scope);
          const millis = Math.round(monotonicNow() - started);
          if (!item.executed) await scope.saveEntry(entryFor(run, item, 'EXECUTED', millis, null));
          done.push(itemResult(item, 'executed', millis));
        }
      }
      running = undefined;
    });
  } catch (error) {
    throwIfLockLost(error, run.lock, 'execute');
    if (running === undefined) throw error;
    await saveOutside(run, entryFor(run, running, 'FAILED', -1, errorTrace(error)));
    results.record(running, 'failed', 0, error);
    // The transaction took the executions back; the before-steps need their rollback methods.
    const rollbackError = await compensator.rollBack([...befores].reverse(), error);
    throw changeFailedError(failedChange(running), error, rollbackError, 'execute');
  }
  for (const result of done) results.push(result);
  await afterSteps(parts, plans);
}

/** After the whole transaction committed: each pending after-step, in order, outside it. */
async function afterSteps({ steps, marker }: ExecutionParts, plans: readonly UnitPlan[]): Promise<void> {
  for (const plan of plans) {
    const item = plan.items.find((candidate) => candidate.role === 'after');
    if (item === undefined || (item.executed && !plan.unit.model.runAlways)) continue;
    const error = await steps.run(item, false);
    if (error === undefined) continue;
    await marker.clear();
    throw afterStepFailedError(failedChange(item), plan.unit.model.id, error);
  }
}
