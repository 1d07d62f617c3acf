import type { UnitFile } from '../change/load-change-units.ts';
import type { SelectedUnit } from '../change/select-change-units.ts';
import type { InProgressChange } from '../drivers/driver.ts';
import { isMongockError, MongockError } from '../errors/mongock-error.ts';
import { appliedFileDigests } from '../history/applied-files.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { checkChecksums } from './checksum-policy.ts';
import { Executor } from './execution/executor.ts';
import type { RunContext } from './execution/run-context.ts';
import { importLegacyHistory, isLegacyImportPending } from './legacy-import.ts';
import type { ItemResult, MigrationResult } from './migration-result.ts';
import { NOT_NEEDED, type Operation } from './operation.ts';
import { anyPending, planUnits } from './plan.ts';
import { unresolvedAttempts, unresolvedNeedsHuman } from './recovery.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import type { RunBudget } from './run-budget.ts';
import { type ExecuteOptions, scopeUnits } from './targets.ts';
import type { UnitCatalog } from './unit-catalog.ts';

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
 * `execute()` from the loaded units to the release: checksum checks, the lock (only when
 * something is pending; given up when another instance applied everything meanwhile), then
 * {@link migrate}. `lock-not-acquired` only with `throwExceptionIfCannotObtainLock: false`.
 */
export async function runMigration(
  operation: Operation,
  config: ResolvedConfig,
  catalog: UnitCatalog,
  executionId: string,
  options: ExecuteOptions,
  budget: RunBudget = {},
): Promise<{ status: MigrationResult['status']; items: readonly ItemResult[] }> {
  const { logger } = config;
  // Units from scan paths only, whole run: the files are listed and digested now, and imported
  // (if at all) once the history says which are not applied. Anything else loads (and fails)
  // before connecting.
  const whole = options.to === undefined && options.step === undefined && options.only === undefined;
  const files = whole && catalog.fromFilesOnly ? await catalog.listFiles() : undefined;
  const loaded = files === undefined ? await catalog.units() : undefined;
  return operation.withConnection(async (connection) => {
    const transactional = operation.transactional(connection);
    const history = await connection.readHistory();
    if (files !== undefined && !isLegacyImportPending(config, history) && allApplied(files, history)) {
      logger.info('Nothing to migrate: every change unit file is already applied, unchanged.');
      return { status: 'up-to-date', items: [] };
    }
    const units = loaded ?? (await catalog.units());
    const scoped = scopeUnits(units, history, options);
    checkChecksums(config, units, history);
    const needed = (now: readonly ChangeEntry[]) => anyPending(scoped, now) || isLegacyImportPending(config, now);
    if (!needed(history)) {
      logger.info('Nothing to migrate: every change unit is already executed.');
      return { status: 'up-to-date', items: [] };
    }
    try {
      // While waiting, the holder may finish everything: then there is nothing to wait for.
      const stillNeeded = async () => needed(await connection.readHistory());
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
  });
}

/**
 * `completed`, or `in-progress` when a batched unit stopped at its time budget or at a `stop()`
 * (`BATCHES_UNFINISHED` with `failOnUnfinishedBatches`, except in a background run: only
 * `executeInBackground()` passes `stopRequested`, and its slices end in progress by design).
 */
function finished(
  config: ResolvedConfig,
  items: readonly ItemResult[],
  budget: RunBudget,
): { status: MigrationResult['status']; items: readonly ItemResult[] } {
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

/**
 * Whether the history proves every file applied and unchanged (its digest recorded with every
 * key it yields). Any other file (new, edited, moved, partly applied, with a runAlways unit)
 * sends the run down the full path, which imports and checks everything.
 */
function allApplied(files: readonly UnitFile[], history: readonly ChangeEntry[]): boolean {
  if (files.length === 0) return false;
  const applied = appliedFileDigests(history);
  return files.every((file) => applied.has(file.digest));
}
