import type { SelectedUnit } from '../change/select-change-units.ts';
import type { DriverConnection, InProgressChange } from '../drivers/driver.ts';
import { isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { checkChecksums } from './checksum-policy.ts';
import { Executor } from './execution/executor.ts';
import type { RunContext } from './execution/run-context.ts';
import { importLegacyHistory } from './legacy-import.ts';
import { isLegacyImportPending } from './legacy-import-pending.ts';
import type { ItemResult, MigrationResult } from './migration-result.ts';
import { NOT_NEEDED, type Operation } from './operation.ts';
import { anyPending, planUnits } from './plan.ts';
import { unresolvedAttempts, unresolvedNeedsHuman } from './recovery.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import type { RunBudget } from './run-budget.ts';
import { type ExecuteOptions, resumedScope, scopeUnits } from './targets.ts';

/** What `execute()` did, before it becomes a {@link MigrationResult}. */
export interface MigrationOutcome {
  readonly status: MigrationResult['status'];
  readonly items: readonly ItemResult[];
}

/**
 * The locked part of `execute()`: prepare the history, import legacy history, settle a change a
 * crashed run left in progress, then re-plan (another instance may have applied units while this
 * one waited) and run. `units` is every unit (recovery may concern any); `scoped`, those to apply.
 * {@link NOT_NEEDED} when, under the lock, nothing is left to do.
 */
export async function migrate(
  run: RunContext,
  units: readonly SelectedUnit[],
  scoped: readonly SelectedUnit[],
  interrupted: InProgressChange | null,
): Promise<readonly ItemResult[] | typeof NOT_NEEDED> {
  const { connection, config } = run;
  run.events.emit('lock-acquired', { owner: run.lock.lease.owner });
  await connection.prepareHistory();
  let history = await connection.readHistory();
  const importing = isLegacyImportPending(config, history);
  if (importing) {
    await importLegacyHistory(run, history, units);
    history = await connection.readHistory();
  }
  // Another instance may have applied everything between this one's first look and its lock
  // (without waiting for it: `stillNeeded` is asked only while waiting). Then this run did nothing.
  if (interrupted === null && !importing && !anyPending(scoped, history)) return NOT_NEEDED;
  const executor = new Executor(run, interrupted !== null);
  if (interrupted !== null) {
    await executor.recover(interrupted, planUnits(units, history));
    history = await connection.readHistory();
  }
  const plans = planUnits(scoped, history);
  // recovery: 'manual' units whose last attempt may have left data half changed: a human decides.
  const unresolved = unresolvedAttempts(plans, history, run.transactional);
  if (unresolved.length > 0) throw unresolvedNeedsHuman(unresolved, plans);
  await executor.run(plans, history);
  await run.lock.ensure();
  return executor.results;
}

/**
 * `execute()` once the history was read and did not prove every file applied: loads the units
 * (if not yet loaded), checks checksums, takes the lock (only when something is pending; given
 * up when another instance applied everything meanwhile), then {@link migrate}.
 * `lock-not-acquired` only with `throwExceptionIfCannotObtainLock: false`.
 */
export async function migrateLoaded(
  operation: Operation,
  run: { readonly config: ResolvedConfig; readonly executionId: string; readonly budget: RunBudget },
  connection: DriverConnection<object>,
  units: readonly SelectedUnit[],
  history: readonly ChangeEntry[],
  options: ExecuteOptions,
): Promise<MigrationOutcome> {
  const { config, executionId, budget } = run;
  const { logger } = config;
  const transactional = operation.transactional(connection);
  const scoped = resumedScope(scopeUnits(units, history, options), budget.resumeAt);
  checkChecksums(config, units, history);
  const needed = (now: readonly ChangeEntry[]) => anyPending(scoped, now) || isLegacyImportPending(config, now);
  if (!needed(history)) {
    logger.info('Nothing to migrate: every change unit is already executed.');
    return { status: 'up-to-date', items: [] };
  }
  try {
    // While waiting, the holder may finish everything: then there is nothing to wait for.
    const stillNeeded = async () => needed(await connection.readHistory({ beforeLock: true }));
    const items = await operation.withLock(
      connection,
      (held) => migrate(operation.runContext(held, executionId, transactional, budget), units, scoped, held.interrupted),
      { stillNeeded, recoversInterrupted: true },
    );
    if (items !== NOT_NEEDED) return finished(config, items, budget);
    logger.info('Another instance applied every pending change unit while this one waited for the lock.');
    return { status: 'up-to-date', items: [] };
  } catch (error) {
    if (!isMongockError(error, 'LOCK_NOT_ACQUIRED') || config.throwExceptionIfCannotObtainLock) throw error;
    logger.warn(`${error.message} Starting without migrating (throwExceptionIfCannotObtainLock: false).`);
    return { status: 'lock-not-acquired', items: [] };
  }
}

/**
 * `completed`, or `in-progress` when a batched unit stopped at its time budget or at a `stop()`
 * (`BATCHES_UNFINISHED` with `failOnUnfinishedBatches`, except in a background run: only
 * `executeInBackground()` passes `stopRequested`, and its slices end in progress by design).
 */
function finished(config: ResolvedConfig, items: readonly ItemResult[], budget: RunBudget): MigrationOutcome {
  const unfinished = items.find((item) => item.outcome === 'in-progress');
  if (unfinished === undefined) return { status: 'completed', items };
  const why = budget.stopRequested?.() === true ? 'was stopped (executeInBackground().stop())' : 'stopped at its time budget (maxRunMs)';
  const message = `Batched change '${unfinished.changeId}' by '${unfinished.author}' ${why} with work left; its checkpoint is saved and the next run resumes it.`;
  if (config.failOnUnfinishedBatches && budget.stopRequested === undefined) {
    throw new MongockError('BATCHES_UNFINISHED', `${message} (failOnUnfinishedBatches: true)`, { changeId: unfinished.changeId, author: unfinished.author });
  }
  config.logger.info(message);
  return { status: 'in-progress', items };
}
