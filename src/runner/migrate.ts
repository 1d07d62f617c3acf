import type { SelectedUnit } from '../change/select-change-units.ts';
import type { InProgressChange } from '../drivers/driver.ts';
import { Executor } from './execution/executor.ts';
import type { RunContext } from './execution/run-context.ts';
import { importLegacyHistory, isLegacyImportPending } from './legacy-import.ts';
import type { ItemResult } from './migration-result.ts';
import { planUnits } from './plan.ts';
import { unresolvedAttempts, unresolvedNeedsHuman } from './recovery.ts';

/**
 * The locked part of `execute()`: prepare the history, import legacy history, settle a change a
 * crashed run left in progress, then re-plan (another instance may have applied units while this
 * one waited) and run. `units` is every unit (recovery may concern any); `scoped`, those to apply.
 */
export async function migrate(
  run: RunContext,
  units: readonly SelectedUnit[],
  scoped: readonly SelectedUnit[],
  interrupted: InProgressChange | null,
): Promise<readonly ItemResult[]> {
  const { connection, config } = run;
  run.events.emit('lock-acquired', { owner: run.lock.lease.owner });
  await connection.prepareHistory();
  let history = await connection.readHistory();
  if (isLegacyImportPending(config, history)) {
    await importLegacyHistory(run, history, units);
    history = await connection.readHistory();
  }
  const executor = new Executor(run, interrupted !== null);
  if (interrupted !== null) {
    await executor.recover(interrupted, planUnits(units, history));
    history = await connection.readHistory();
  }
  const plans = planUnits(scoped, history);
  // recovery: 'manual' units whose last attempt may have left data half changed: a human decides.
  const unresolved = unresolvedAttempts(plans, history, run.transactional);
  if (unresolved.length > 0) throw unresolvedNeedsHuman(unresolved, plans);
  await executor.run(plans);
  await run.lock.ensure();
  return executor.results;
}
