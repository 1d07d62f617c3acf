import { recordedChecksum, withoutFileToken } from '../change/file-token.ts';
import type { SelectedUnit } from '../change/select-change-units.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { entryKey, latestDecisiveEntries } from '../history/is-executed.ts';
import { inScope, type RunContext } from './execution/run-context.ts';
import { planUnits } from './plan.ts';

/** `runner.acceptChecksum(id)`: the executed entries whose recorded checksum was replaced. */
export interface AcceptChecksumResult {
  readonly accepted: readonly { readonly changeId: string; readonly author: string; readonly previous: string | null; readonly checksum: string }[];
}

/**
 * Under the lock: saves the deciding EXECUTED entry of unit `changeId` (and its before-step's)
 * again with the current checksum, keeping its execution id, time and host.
 */
export async function acceptChecksum(run: RunContext, units: readonly SelectedUnit[], changeId: string): Promise<AcceptChecksumResult> {
  const history = await run.connection.readHistory();
  const plans = planUnits(units, history).filter((plan) => plan.unit.model.id === changeId);
  const decisive = latestDecisiveEntries(history);
  const updates: { entry: ChangeEntry; checksum: string; model: SelectedUnit['model'] }[] = [];
  for (const plan of plans) {
    for (const item of plan.items) {
      const entry = decisive.get(entryKey(item.changeId, plan.unit.author));
      if (item.executed && entry !== undefined) updates.push({ entry, checksum: item.checksum, model: plan.unit.model });
    }
  }
  if (updates.length === 0) {
    throw new MongockError('INVALID_CONFIG', `Cannot accept the checksum of '${changeId}': no executed change unit has that id. See \`mongock status\`.`, {
      changeId,
    });
  }
  await inScope(run, run.transactional, async (scope) => {
    for (const { entry, checksum, model } of updates) await scope.saveEntry({ ...entry, checksum: recordedChecksum(model, checksum) });
  });
  await run.lock.ensure();
  const accepted = updates
    .filter(({ entry }) => entry.type === 'EXECUTION')
    .map(({ entry, checksum }) => ({
      changeId: entry.changeId,
      author: entry.author,
      previous: entry.checksum == null ? null : withoutFileToken(entry.checksum),
      checksum,
    }));
  for (const item of accepted)
    run.config.logger.info(`Accepted the new checksum of '${item.changeId}' by '${item.author}': ${item.previous ?? 'none'} -> ${item.checksum}.`);
  return { accepted };
}
