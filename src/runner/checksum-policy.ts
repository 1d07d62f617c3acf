import type { SelectedUnit } from '../change/select-change-units.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { changedUnits, planUnits } from './plan.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import { unitStatuses } from './unit-status.ts';

/** `onChecksumMismatch`: executed units whose code changed since they ran warn, fail, or pass. */
export function checkChecksums(config: ResolvedConfig, units: readonly SelectedUnit[], history: readonly ChangeEntry[]): void {
  const policy = config.onChecksumMismatch;
  if (policy === 'ignore') return;
  const changedList = changedUnits(units, history);
  if (changedList.length === 0) return;
  const changed = unitStatuses(planUnits(changedList, history), history);
  const list = changed.map((unit) => `'${unit.changeId}' by '${unit.author}'${unit.source === undefined ? '' : ` (${unit.source})`}`).join(', ');
  const message = `The code of executed change unit${changed.length === 1 ? '' : 's'} ${list} changed since ${changed.length === 1 ? 'it' : 'they'} ran (checksum differs from the history).`;
  const fix =
    'If the change is intended, record the new checksum with `mongock validate --accept <id>` (runner.acceptChecksum(id)); otherwise restore the code.';
  if (policy === 'warn') {
    config.logger.warn(`${message} ${fix}`);
    return;
  }
  throw new MongockError('CHECKSUM_MISMATCH', `${message} onChecksumMismatch is 'fail', so nothing was run. ${fix}`, {
    changeId: changed[0]!.changeId,
    author: changed[0]!.author,
    file: changed[0]!.source,
    problems: changed.map(
      (unit) => `${unit.changeId}: recorded ${unit.recordedChecksum}, now ${unit.checksum}${unit.source === undefined ? '' : ` (${unit.source})`}`,
    ),
  });
}
