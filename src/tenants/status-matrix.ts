import type { MigrationStatus } from '../runner/mongock-runner.ts';
import type { UnitState } from '../runner/unit-status.ts';
import type { TenantOperation } from './tenant-operation.ts';

/** One change unit across tenants: how many are in each state, and which tenants are not executed. */
export interface StatusMatrixRow {
  readonly changeId: string;
  readonly author: string;
  readonly counts: Readonly<Record<UnitState, number>>;
  /** Tenants where the unit is pending, failed or rolled back, sorted. */
  readonly notExecuted: readonly string[];
}

/** The tenants × units matrix of a multi-tenant `status`, units in the order tenants list them. */
export function statusMatrix(tenants: readonly TenantOperation<MigrationStatus>[]): StatusMatrixRow[] {
  const rows = new Map<string, { changeId: string; author: string; counts: Record<UnitState, number>; notExecuted: string[] }>();
  for (const entry of tenants) {
    if (!('value' in entry)) continue;
    for (const unit of entry.value.units) {
      const key = `${unit.author}\u0000${unit.changeId}`;
      let row = rows.get(key);
      if (row === undefined) {
        row = { changeId: unit.changeId, author: unit.author, counts: { executed: 0, pending: 0, failed: 0, 'rolled-back': 0 }, notExecuted: [] };
        rows.set(key, row);
      }
      row.counts[unit.state]++;
      if (unit.state !== 'executed') row.notExecuted.push(entry.tenant);
    }
  }
  return [...rows.values()].map((row) => Object.freeze({ ...row, counts: Object.freeze(row.counts), notExecuted: Object.freeze(row.notExecuted.sort()) }));
}
