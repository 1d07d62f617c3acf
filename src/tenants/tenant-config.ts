import type { Driver } from '../drivers/driver.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';

/** One tenant: an `id` (unique, non-empty) and whatever the enumerator attaches (a database name, a schema, a plan). */
export interface Tenant {
  readonly id: string;
}

/** What a multi-tenant run does with a tenant whose lock another process holds. */
export type LockedTenantPolicy = 'skip' | 'wait';

/** How many tenants migrate at once by default: enough to hide round-trip latency, few enough for a small pool. */
export const DEFAULT_TENANT_CONCURRENCY = 4;

/**
 * The tenants of a multi-tenant configuration. Each tenant keeps its own history and lock in its
 * own database (or schema), so tenants are independent of each other and each tenant database
 * stays readable by Java Mongock.
 *
 * @example
 * ```ts
 * import { MongoClient } from 'mongodb';
 * import type { TenantsConfig } from 'mongock';
 * import { mongoDriver } from 'mongock/mongodb';
 *
 * // Your catalogue of tenants, in your own database.
 * declare const catalogue: { find(): { toArray(): Promise<Array<{ slug: string }>> } };
 *
 * const client = new MongoClient('mongodb://localhost:27017'); // one client for every tenant of this server
 * const tenants: TenantsConfig<{ id: string; db: string }> = {
 *   list: async () => (await catalogue.find().toArray()).map((row) => ({ id: row.slug, db: `tenant_${row.slug}` })),
 *   driver: (tenant) => mongoDriver({ client, databaseName: tenant.db }),
 * };
 * ```
 */
export interface TenantsConfig<TTenant extends Tenant = Tenant, TContext extends object = object> {
  /** The tenants, or a function that lists them (a catalogue table, `listDatabases`, a file). */
  readonly list: readonly TTenant[] | (() => readonly TTenant[] | Promise<readonly TTenant[]>);
  /**
   * The driver of one tenant. Share one client or pool across the tenants of a server
   * (`mongoDriver({ client, databaseName })`, `postgresDriver({ pool, schema })`): Mongock then
   * holds at most `concurrency` connections, not one per tenant.
   */
  readonly driver: (tenant: TTenant) => Driver<TContext>;
  /** How many tenants migrate at once. Default {@link DEFAULT_TENANT_CONCURRENCY}. */
  readonly concurrency?: number;
  /**
   * Stop starting tenants once this many have failed (those running finish). Default: never —
   * one tenant's failure is recorded and the others go on.
   */
  readonly stopAfterFailures?: number;
  /**
   * `skip` (default): a tenant whose lock another process holds is left to that process, which
   * migrates it; so N replicas started at once share the tenants. `wait`: wait for the lock as a
   * single-database run does (`lockConfig`).
   */
  readonly whenLocked?: LockedTenantPolicy;
  /**
   * Optional: the ids of every tenant that has a Mongock history (e.g. the schemas holding
   * `mongock_change_log`), so that `doctor` can name tenants no longer in `list`. They are left
   * alone; only reported.
   */
  readonly discover?: () => readonly string[] | Promise<readonly string[]>;
}

/**
 * A configuration that runs the same change units against many databases: every setting of
 * {@link MongockConfig} but `driver`, applied to each tenant, plus `tenants`.
 */
export interface MultiTenantConfig<TTenant extends Tenant = Tenant, TContext extends object = object> extends Omit<MongockConfig<TContext>, 'driver'> {
  readonly tenants: TenantsConfig<TTenant, TContext>;
}

/**
 * Types a multi-tenant config file. Returns its argument, frozen.
 *
 * @example mongock.config.ts
 * ```ts
 * import { defineMultiTenantConfig } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 * export default defineMultiTenantConfig({
 *   migrationScanPath: './migrations',
 *   tenants: { list: [{ id: 'acme' }, { id: 'globex' }], driver: (tenant) => sqliteDriver({ filename: `tenants/${tenant.id}.db` }) },
 * });
 * ```
 */
export function defineMultiTenantConfig<TTenant extends Tenant, TContext extends object>(
  config: MultiTenantConfig<TTenant, TContext>,
): MultiTenantConfig<TTenant, TContext> {
  return Object.freeze({ ...config });
}

/** True for a config (e.g. a loaded config file) that names tenants. */
export function isMultiTenantConfig(config: object): config is MultiTenantConfig {
  return 'tenants' in config && (config as { tenants?: unknown }).tenants !== undefined;
}
