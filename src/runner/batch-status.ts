import type { SelectedUnit } from '../change/select-change-units.ts';
import type { DriverConnection } from '../drivers/driver.ts';
import type { BatchCheckpoint, BatchDirection } from '../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { type PlanItem, planUnits, type UnitPlan } from './plan.ts';

/**
 * How far a unit's batched step got, from its checkpoint, for `status`, `doctor` and the
 * dashboard. `inProgress`: started and not finished (a run stopped at its budget, was killed, or
 * a batch failed): the next run resumes after `lastKey`.
 */
export interface BatchStatus {
  readonly direction: BatchDirection;
  readonly inProgress: boolean;
  readonly batches: number;
  readonly processed: number;
  /** The source's estimate when the step started (a count); null when it gives none. */
  readonly estimatedTotal: number | null;
  /** The last key done, as stored (JSON; canonical Extended JSON for `collectionSource`); null before the first batch. */
  readonly lastKey: string | null;
  /** The execution that wrote the checkpoint last. */
  readonly executionId: string;
  readonly startedAt: Date;
  readonly updatedAt: Date;
}

/** The batch status of `plan`'s batched step, when it has one and a checkpoint. */
export function batchStatusOf(plan: UnitPlan, checkpoints: readonly BatchCheckpoint[], history: readonly ChangeEntry[]): BatchStatus | null {
  const { unit } = plan;
  const checkpoint = checkpoints.find((candidate) => candidate.changeId === unit.model.id && candidate.author === unit.author);
  if (checkpoint === undefined || !hasBatchedSteps([plan])) return null;
  const { direction, batches, processed, estimatedTotal, lastKey, executionId, startedAt, updatedAt } = checkpoint;
  const inProgress = unfinishedCheckpoints([checkpoint], history).length > 0;
  return { direction, inProgress, batches, processed, estimatedTotal, lastKey, executionId, startedAt, updatedAt };
}

/** Whether any of the plans has a batched step (only then is the checkpoint store read: never at an idle start-up). */
export function hasBatchedSteps(plans: readonly UnitPlan[]): boolean {
  return plans.some((plan) => plan.items.some((item) => item.step.batched !== undefined || item.rollback?.batched !== undefined));
}

/** The checkpoints, when a plan is batched and the driver keeps them; else none (and no round trip). */
export async function readCheckpoints(connection: DriverConnection<object>, plans: readonly UnitPlan[]): Promise<BatchCheckpoint[]> {
  if (connection.checkpoints === undefined || !hasBatchedSteps(plans)) return [];
  return connection.checkpoints.read();
}

/**
 * The checkpoints of batched steps still under way: `running`, and not settled by an entry of the
 * execution that wrote them (a crash between a non-transactional step's entry and its final
 * checkpoint leaves such a finished one behind).
 */
export function unfinishedCheckpoints(checkpoints: readonly BatchCheckpoint[], history: readonly ChangeEntry[]): BatchCheckpoint[] {
  return checkpoints.filter(
    (checkpoint) =>
      checkpoint.state === 'running' &&
      !history.some(
        (entry) =>
          entry.changeId === checkpoint.changeId &&
          entry.author === checkpoint.author &&
          entry.executionId === checkpoint.executionId &&
          entry.state === (checkpoint.direction === 'execute' ? 'EXECUTED' : 'ROLLED_BACK'),
      ),
  );
}

/**
 * The plans with each half-done batched execution (a running execute checkpoint) counted as
 * executed, for `undo`: its rollback takes back what the batches applied, up to the checkpoint.
 */
export function withHalfDoneAsExecuted(plans: readonly UnitPlan[], unfinished: readonly BatchCheckpoint[]): UnitPlan[] {
  return plans.map((plan) => {
    const items = plan.items.map((item) => (item.executed || !isHalfDone(item, unfinished) ? item : executedCopy(item)));
    return items.every((item, i) => item === plan.items[i]) ? plan : { ...plan, items };
  });
}

function isHalfDone(item: PlanItem, unfinished: readonly BatchCheckpoint[]): boolean {
  return (
    item.step.batched !== undefined &&
    unfinished.some((checkpoint) => checkpoint.direction === 'execute' && checkpoint.changeId === item.changeId && checkpoint.author === item.unit.author)
  );
}

/** The same item (its lazy checksum included), marked executed. */
function executedCopy(item: PlanItem): PlanItem {
  return Object.create(item, { executed: { value: true, enumerable: true } }) as PlanItem;
}

/** What `undo` chooses from, and the checkpoints it was judged by (its batched rollbacks start from them: no second read). */
export interface UndoPlans {
  readonly plans: UnitPlan[];
  readonly checkpoints: readonly BatchCheckpoint[];
}

/** The plans `undo` chooses from: executed units, and batched ones under way (rolled back up to their checkpoint). `read`: the history, when the caller has it. */
export async function undoPlans(connection: DriverConnection<object>, units: readonly SelectedUnit[], read?: readonly ChangeEntry[]): Promise<UndoPlans> {
  const history = read ?? (await connection.readHistory());
  const plans = planUnits(units, history);
  const checkpoints = await readCheckpoints(connection, plans);
  return { plans: checkpoints.length === 0 ? plans : withHalfDoneAsExecuted(plans, unfinishedCheckpoints(checkpoints, history)), checkpoints };
}
