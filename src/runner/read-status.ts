import type { FilteredUnit, SelectedUnit } from '../change/select-change-units.ts';
import type { DriverConnection } from '../drivers/driver.ts';
import { readCheckpoints } from './batch-status.ts';
import { filteredStatuses, ignoredEntries } from './history-report.ts';
import { planUnits } from './plan.ts';
import type { MigrationStatus } from './runner-results.ts';
import { unitStatuses } from './unit-status.ts';

/**
 * `runner.status()` over one connection: every unit's state, batched units' progress (the
 * checkpoint store is read only when a unit is batched), the units left out, and the lock.
 */
export async function readStatus(
  connection: DriverConnection<object>,
  units: readonly SelectedUnit[],
  filtered: readonly FilteredUnit[],
): Promise<MigrationStatus> {
  const history = await connection.readHistory();
  const plans = planUnits(units, history);
  return {
    units: unitStatuses(plans, history, await readCheckpoints(connection, plans)),
    filtered: filteredStatuses(filtered, history),
    ignored: ignoredEntries(units, filtered, history),
    lock: await connection.lock.inspect(),
  };
}
