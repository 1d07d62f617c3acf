import type { MongockError } from '../errors/mongock-error.ts';
import type { MigrationResult } from '../runner/migration-result.ts';

/**
 * What one tenant's run ended as.
 * - `completed`: pending units ran and none failed; `up-to-date`: nothing was pending;
 * - `failed`: a unit failed, the driver could not connect, or the lock was lost (see `error`);
 * - `skipped`: another process held the tenant's lock (it migrates the tenant),
 *   `stopAfterFailures` was reached before the tenant started, or the call's `maxRunMs` was
 *   spent before it started (`reason`);
 * - `disabled`: `enabled: false`;
 * - `in-progress`: a batched unit stopped at its time budget (`maxRunMs`, the tenant's own or what
 *   was left of the call's); the next run resumes it.
 */
export type TenantOutcome = 'completed' | 'up-to-date' | 'failed' | 'skipped' | 'disabled' | 'in-progress';

/** How one tenant's run ended, and its own `MigrationResult` when it got as far as one. */
export interface TenantResult {
  readonly tenant: string;
  readonly outcome: TenantOutcome;
  readonly reason?: 'locked' | 'stopped-after-failures' | 'time-budget';
  /** The tenant's own result, when its run got as far as one. */
  readonly result?: MigrationResult;
  readonly error?: MongockError;
  /** Change units this run executed in the tenant (also when a later one failed). */
  readonly executed: number;
  readonly durationMs: number;
}

/** How many tenants ended in each outcome. */
export interface TenantSummary {
  readonly total: number;
  readonly completed: number;
  readonly upToDate: number;
  readonly failed: number;
  readonly skipped: number;
  readonly disabled: number;
  readonly inProgress: number;
  readonly durationMs: number;
}

/** The result of a multi-tenant `execute()`: one entry per tenant, in list order, and their counts. */
export interface MultiTenantResult {
  /** True when no tenant failed. */
  readonly ok: boolean;
  readonly tenants: readonly TenantResult[];
  readonly summary: TenantSummary;
}

/** Counts the tenants' outcomes into a frozen result. */
export function multiTenantResult(tenants: readonly TenantResult[], durationMs: number): MultiTenantResult {
  const count = (outcome: TenantOutcome) => tenants.filter((tenant) => tenant.outcome === outcome).length;
  const summary: TenantSummary = Object.freeze({
    total: tenants.length,
    completed: count('completed'),
    upToDate: count('up-to-date'),
    failed: count('failed'),
    skipped: count('skipped'),
    disabled: count('disabled'),
    inProgress: count('in-progress'),
    durationMs,
  });
  return Object.freeze({ ok: summary.failed === 0, tenants: Object.freeze([...tenants]), summary });
}

/** A tenant's outcome from its own run's result. */
export function outcomeOf(result: MigrationResult): TenantOutcome {
  switch (result.status) {
    case 'completed':
      return result.failed > 0 ? 'failed' : 'completed';
    case 'up-to-date':
      return 'up-to-date';
    case 'lock-not-acquired':
      return 'skipped';
    case 'disabled':
      return 'disabled';
    case 'in-progress':
      return result.failed > 0 ? 'failed' : 'in-progress';
  }
}
