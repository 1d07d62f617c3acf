import type { Driver } from '../drivers/driver.ts';
import { errorMessage, MongockError } from '../errors/mongock-error.ts';
import { createRunner } from '../runner/mongock-builder.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';
import { DEFAULT_TENANT_CONCURRENCY, type LockedTenantPolicy, type MultiTenantConfig, type Tenant, type TenantsConfig } from './tenant-config.ts';

/** A tenants config with its defaults applied and checked. */
export interface ResolvedTenants<TTenant extends Tenant = Tenant> {
  readonly list: TenantsConfig<TTenant>['list'];
  readonly driver: (tenant: TTenant) => Driver<object>;
  readonly concurrency: number;
  readonly stopAfterFailures: number;
  readonly whenLocked: LockedTenantPolicy;
  readonly discover: (() => readonly string[] | Promise<readonly string[]>) | undefined;
}

const LOCKED_POLICIES: readonly LockedTenantPolicy[] = ['skip', 'wait'];
const TENANT_OPTIONS = ['list', 'driver', 'concurrency', 'stopAfterFailures', 'whenLocked', 'discover'];

/**
 * Stands in for a tenant's driver while the shared settings and the change units are checked
 * once, up front: with every capability, so that only the tenant's real driver can refuse what
 * it cannot do. It never connects (`validate()` touches no database).
 */
export const PROBE_DRIVER: Driver<object> = Object.freeze({
  name: 'tenant',
  capabilities: Object.freeze({ transactions: true, lease: true, transactionalDdl: true, legacyImport: true }),
  connect: () => Promise.reject(new Error('the probe driver never connects')),
});

/**
 * Checks a multi-tenant config before any tenant is touched: the `tenants` block here, every
 * other setting by building a runner on a probe driver. Throws `INVALID_CONFIG` listing every problem.
 */
export function resolveTenants<TTenant extends Tenant>(
  config: MultiTenantConfig<TTenant>,
): {
  readonly shared: Omit<MongockConfig, 'driver'>;
  readonly tenants: ResolvedTenants<TTenant>;
} {
  if (typeof config !== 'object' || config === null)
    throw new MongockError('INVALID_CONFIG', 'A multi-tenant config must be an object with a `tenants` block.');
  const { tenants, ...shared } = config as MultiTenantConfig<TTenant> & { driver?: unknown };
  if ('driver' in shared && shared.driver !== undefined) {
    throw new MongockError(
      'INVALID_CONFIG',
      "A multi-tenant config gives each tenant its driver through tenants.driver; remove the top-level 'driver' option.",
    );
  }
  const problems = tenantProblems(tenants);
  if (problems.length > 0) throw new MongockError('INVALID_CONFIG', `Invalid tenants config:\n  - ${problems.join('\n  - ')}`, { problems });
  createRunner({ ...(shared as Omit<MongockConfig, 'driver'>), driver: PROBE_DRIVER });
  return {
    shared: Object.freeze({ ...shared }),
    tenants: Object.freeze({
      list: tenants.list,
      driver: tenants.driver as (tenant: TTenant) => Driver<object>,
      concurrency: tenants.concurrency ?? DEFAULT_TENANT_CONCURRENCY,
      stopAfterFailures: tenants.stopAfterFailures ?? Number.POSITIVE_INFINITY,
      whenLocked: tenants.whenLocked ?? 'skip',
      discover: tenants.discover,
    }),
  };
}

function tenantProblems(tenants: unknown): string[] {
  if (typeof tenants !== 'object' || tenants === null) return ["Option 'tenants' must be an object: { list, driver }."];
  const given = tenants as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(given))
    if (!TENANT_OPTIONS.includes(key)) problems.push(`Unknown option 'tenants.${key}'. Known options: ${TENANT_OPTIONS.join(', ')}.`);
  if (!Array.isArray(given.list) && typeof given.list !== 'function')
    problems.push("Option 'tenants.list' must be an array of tenants ({ id }) or a function returning one (async or not).");
  if (typeof given.driver !== 'function')
    problems.push("Option 'tenants.driver' must be a function from a tenant to its driver, e.g. (tenant) => sqliteDriver({ filename: tenant.file }).");
  for (const key of ['concurrency', 'stopAfterFailures'] as const) {
    const value = given[key];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1))
      problems.push(`Option 'tenants.${key}' must be a whole number of at least 1; got ${String(value)}.`);
  }
  if (given.whenLocked !== undefined && !LOCKED_POLICIES.includes(given.whenLocked as LockedTenantPolicy))
    problems.push(`Option 'tenants.whenLocked' must be one of ${LOCKED_POLICIES.map((p) => `'${p}'`).join(', ')}; got ${String(given.whenLocked)}.`);
  if (given.discover !== undefined && typeof given.discover !== 'function') problems.push("Option 'tenants.discover' must be a function returning tenant ids.");
  return problems;
}

/**
 * The tenants, listed and checked: every one an object with a non-empty string `id`, no id twice.
 * Throws `TENANT_LIST_FAILED` (the enumerator's error as `cause`) before any tenant is touched.
 */
export async function listTenants<TTenant extends Tenant>(list: TenantsConfig<TTenant>['list']): Promise<readonly TTenant[]> {
  let tenants: unknown;
  try {
    tenants = typeof list === 'function' ? await list() : list;
  } catch (cause) {
    throw new MongockError('TENANT_LIST_FAILED', `Listing the tenants failed (tenants.list threw: ${errorMessage(cause)}); no tenant was migrated.`, { cause });
  }
  if (!Array.isArray(tenants))
    throw new MongockError('TENANT_LIST_FAILED', `tenants.list must give an array of tenants; it gave ${typeof tenants}. No tenant was migrated.`);
  const problems: string[] = [];
  const seen = new Set<string>();
  tenants.forEach((tenant: unknown, index) => {
    const id = (tenant as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') problems.push(`tenant #${index + 1} has no id (each tenant needs a non-empty string 'id')`);
    else if (seen.has(id)) problems.push(`tenant id '${id}' is listed twice`);
    else seen.add(id);
  });
  if (problems.length > 0) {
    throw new MongockError('TENANT_LIST_FAILED', `tenants.list gave tenants Mongock cannot tell apart: ${problems.join('; ')}. No tenant was migrated.`, {
      problems,
    });
  }
  return Object.freeze([...(tenants as TTenant[])]);
}
