import { errorMessage, isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { Logger } from '../log/logger.ts';
import { consoleLogger } from '../log/logger.ts';
import type { BackgroundOptions } from '../runner/background.ts';
import type { Diagnosis } from '../runner/doctor/diagnose.ts';
import type { DoctorCheck } from '../runner/doctor/doctor-check.ts';
import type { MongockEventName, MongockEvents } from '../runner/events.ts';
import { createRunner } from '../runner/mongock-builder.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';
import type { MigrationStatus, MongockRunner, UndoResult } from '../runner/mongock-runner.ts';
import type { ExecuteOptions, UndoOptions } from '../runner/targets.ts';
import { boundedPool } from '../runtime/bounded-pool.ts';
import { listTenants, PROBE_DRIVER, type ResolvedTenants, resolveTenants } from './resolve-tenants.ts';
import { type StatusMatrixRow, statusMatrix } from './status-matrix.ts';
import type { MultiTenantConfig, Tenant } from './tenant-config.ts';
import type { TenantOperation } from './tenant-operation.ts';
import { type MultiTenantResult, multiTenantResult, outcomeOf, type TenantResult } from './tenant-result.ts';
import { type MultiTenantBackground, tenantsInBackground } from './tenants-background.ts';

/** Which tenants an operation covers: their ids; none given means every listed tenant. */
export interface TenantSelection {
  readonly tenants?: readonly string[];
}

/** How a multi-tenant `execute()` runs: tenants at once, and one time budget for the whole call. */
export interface TenantRunBudget {
  /** Tenants worked on at once (default the config's `tenants.concurrency`). */
  readonly concurrency?: number;
  /**
   * The whole call's time budget in ms, as a deploy timeout sees it (the process is killed as a
   * whole, not per tenant): each tenant's runner gets what is left of it when the tenant starts
   * (its `maxRunMs`: its batched units stop at a batch boundary, `in-progress`), and a tenant not
   * started once it is spent is `skipped` with reason `time-budget`. The first tenant always
   * starts, so every call makes progress. Default: the tenants' own `maxRunMs`, each from its own
   * start.
   */
  readonly maxRunMs?: number;
}

/** A runner event, with the tenant it happened in; plus a tenant's start and end. */
export type MultiTenantEvents = { readonly [E in MongockEventName]: MongockEvents[E] & { readonly tenant: string } } & {
  readonly 'tenant-started': { readonly tenant: string; readonly index: number; readonly total: number };
  readonly 'tenant-finished': { readonly tenant: string; readonly result: TenantResult; readonly done: number; readonly total: number };
};
/** The name of an event a multi-tenant runner emits (`runner.on(name, listener)`). */
export type MultiTenantEventName = keyof MultiTenantEvents;

/** `status()` of every selected tenant, and per change unit how many tenants are in each state. */
export interface MultiTenantStatus {
  readonly tenants: readonly TenantOperation<MigrationStatus>[];
  /** Per change unit: how many tenants are in each state, and the tenants not executed. */
  readonly matrix: readonly StatusMatrixRow[];
}

/**
 * What `doctor()` found per tenant, the tenants with a history that `list` no longer names, and the
 * status matrix.
 */
export interface MultiTenantDiagnosis {
  readonly tenants: readonly TenantOperation<Diagnosis>[];
  /** Tenants `discover()` found with a history that `list` no longer names: left alone, reported. */
  readonly unlisted: readonly string[];
  /** The units × states matrix of `status()`, so the tenants that differ show next to the findings. */
  readonly matrix: readonly StatusMatrixRow[];
}

const RUNNER_EVENTS = {
  'migration-started': true,
  'migration-succeeded': true,
  'migration-failed': true,
  'lock-waiting': true,
  'lock-acquired': true,
  'unit-started': true,
  'unit-finished': true,
  'batch-progress': true,
} as const satisfies Record<MongockEventName, true>;

/**
 * Runs one set of change units against many tenants, each with its own database, history and
 * lock: at most `concurrency` at once, a failing tenant recorded while the others go on, a
 * tenant whose lock another process holds left to it (so replicas started together share the
 * work and every unit still runs once per tenant). Change units receive their tenant as
 * `ctx.tenant`. See docs/multi-tenant.md.
 *
 * @example
 * ```ts
 * import { multiTenantRunner } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const runner = multiTenantRunner({
 *   migrationScanPath: './migrations',
 *   tenants: { list: [{ id: 'acme' }, { id: 'globex' }], driver: (tenant) => sqliteDriver({ filename: `${tenant.id}.db` }) },
 * });
 * const result = await runner.execute();
 * if (!result.ok) process.exitCode = 1;
 * await runner.execute({ tenants: ['acme'] }); // e.g. when a tenant signs up
 * ```
 */
export class MultiTenantRunner<TTenant extends Tenant = Tenant> {
  readonly #shared: ReturnType<typeof resolveTenants<TTenant>>['shared'];
  readonly #tenants: ResolvedTenants<TTenant>;
  readonly #logger: Logger;
  readonly #listeners = new Map<MultiTenantEventName, Set<(payload: never) => void>>();

  constructor(config: MultiTenantConfig<TTenant>) {
    const { shared, tenants } = resolveTenants(config);
    this.#shared = shared;
    this.#tenants = tenants;
    this.#logger = shared.logger ?? consoleLogger();
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends MultiTenantEventName>(event: E, listener: (payload: MultiTenantEvents[E]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** The tenants `list` gives now, checked (`TENANT_LIST_FAILED`). */
  listTenants(): Promise<readonly TTenant[]> {
    return listTenants(this.#tenants.list);
  }

  /**
   * Migrates every selected tenant. Never throws for one tenant's failure: it is in the result
   * (`ok: false`); throws only when the tenants cannot be listed or a selected id is unknown.
   */
  async execute(options: ExecuteOptions & TenantSelection & TenantRunBudget = {}): Promise<MultiTenantResult> {
    const started = performance.now();
    const { tenants: selection, concurrency = this.#tenants.concurrency, maxRunMs, ...scope } = options;
    const deadline = maxRunMs === undefined ? Number.POSITIVE_INFINITY : started + maxRunMs;
    const tenants = await this.#select(selection);
    await this.#validateUnits(tenants);
    let failures = 0;
    let done = 0;
    let begun = 0;
    const results = await boundedPool(
      tenants,
      concurrency,
      async (tenant) => {
        begun++;
        this.#emit('tenant-started', { tenant: tenant.id, index: tenants.indexOf(tenant), total: tenants.length });
        const remaining = deadline === Number.POSITIVE_INFINITY ? undefined : Math.max(1, Math.round(deadline - performance.now()));
        const result = await this.#executeOne(tenant, scope, remaining);
        if (result.outcome === 'failed') failures++;
        this.#emit('tenant-finished', { tenant: tenant.id, result, done: ++done, total: tenants.length });
        return result;
      },
      {
        // The first tenant always starts (and runs at least one batch): every call makes progress, as a single start does.
        when: () => failures >= this.#tenants.stopAfterFailures || (begun > 0 && performance.now() >= deadline),
        instead: (tenant): TenantResult => ({
          tenant: tenant.id,
          outcome: 'skipped',
          reason: failures >= this.#tenants.stopAfterFailures ? 'stopped-after-failures' : 'time-budget',
          executed: 0,
          durationMs: 0,
        }),
      },
    );
    return multiTenantResult(results, Math.round(performance.now() - started));
  }

  /**
   * Migrates the selected tenants in the background, one tenant after the other, each through
   * its runner's `executeInBackground()` (the lock held only while a slice works): first every
   * tenant's start-up part (`ready`: its units before its first batched one applied, that unit's
   * first batch committed), then every tenant's remaining batched work. A failing tenant is
   * logged and the others go on, until `stopAfterFailures` tenants failed: then no other tenant
   * starts and those waiting are `stopped`. `tenant-started` and `tenant-finished` are emitted as
   * by `execute()` (finished: the tenant's end state; `stopped` is `in-progress`). `stop()` ends at
   * the next batch boundary. What `MongockTenantsModule`'s `background: true` runs.
   */
  executeInBackground(options: BackgroundOptions & Pick<TenantSelection, 'tenants'> = {}): MultiTenantBackground {
    const { tenants: selection, ...background } = options;
    const byId = new Map<string, TTenant>();
    return tenantsInBackground({
      tenantIds: async () => {
        const tenants = await this.#select(selection);
        await this.#validateUnits(tenants);
        for (const tenant of tenants) byId.set(tenant.id, tenant);
        return tenants.map((tenant) => tenant.id);
      },
      runnerFor: (id) => this.#runnerFor(byId.get(id)!),
      logger: this.#logger,
      options: background,
      stopAfterFailures: this.#tenants.stopAfterFailures,
      started: (tenant, index, total) => this.#emit('tenant-started', { tenant, index, total }),
      finished: (result, done, total) => this.#emit('tenant-finished', { tenant: result.tenant, result, done, total }),
    });
  }

  /** Every selected tenant's status, and the tenants × units matrix. Takes no lock, writes nothing. */
  async status(selection: TenantSelection = {}): Promise<MultiTenantStatus> {
    const tenants = await this.#each(selection, (runner) => runner.status());
    return { tenants, matrix: statusMatrix(tenants) };
  }

  /** `undo` on the named tenants only (at least one: rolling back every tenant is never implicit). */
  async undo(options: UndoOptions & { readonly tenants: readonly string[] }): Promise<readonly TenantOperation<UndoResult>[]> {
    const { tenants, ...undo } = options;
    if (!Array.isArray(tenants) || tenants.length === 0) {
      throw new MongockError('INVALID_CONFIG', 'undo on a multi-tenant config needs the tenants to roll back: undo({ tenants: [id, ...], last: 1 }).');
    }
    return this.#each({ tenants }, (runner) => runner.undo(undo as UndoOptions));
  }

  /** `doctor` for every selected tenant, and the tenants `discover()` finds that `list` no longer names. */
  async diagnose(selection: TenantSelection = {}, extraChecks: readonly DoctorCheck[] = []): Promise<MultiTenantDiagnosis> {
    const tenants = await this.#each(selection, (runner) => runner.diagnose(extraChecks));
    const { matrix } = await this.status(selection);
    const listed = new Set((await this.listTenants()).map((tenant) => tenant.id));
    const discovered = this.#tenants.discover === undefined ? [] : await this.#tenants.discover();
    return { tenants, matrix, unlisted: [...new Set(discovered)].filter((id) => !listed.has(id)).sort() };
  }

  /** `maxRunMs`: what is left of the whole call's budget when this tenant starts (its runner's `maxRunMs`). */
  async #executeOne(tenant: TTenant, scope: ExecuteOptions, maxRunMs: number | undefined): Promise<TenantResult> {
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    let executed = 0;
    try {
      const runner = this.#runnerFor(tenant, maxRunMs);
      runner.on('unit-finished', ({ item }) => {
        if (item.outcome === 'executed' && item.type === 'EXECUTION') executed++;
      });
      const result = await runner.execute(scope);
      const outcome = outcomeOf(result);
      return { tenant: tenant.id, outcome, result, executed, durationMs: durationMs(), ...(outcome === 'skipped' ? { reason: 'locked' as const } : {}) };
    } catch (error) {
      const failure = tenantError(tenant.id, error);
      this.#logger.error(failure.message);
      return { tenant: tenant.id, outcome: 'failed', error: failure, executed, durationMs: durationMs() };
    }
  }

  /**
   * The change units are the same for every tenant: a unit that does not load or validate is one
   * problem, reported once (`INVALID_CHANGE_UNIT`, `MODULE_LOAD_FAILED`) before any tenant runs.
   */
  async #validateUnits(tenants: readonly TTenant[]): Promise<void> {
    const first = tenants[0];
    if (first === undefined) return;
    await createRunner({ ...this.#shared, driver: PROBE_DRIVER, dependencies: { ...this.#shared.dependencies, tenant: first } }).validate();
  }

  async #each<T>(selection: TenantSelection, work: (runner: MongockRunner) => Promise<T>): Promise<TenantOperation<T>[]> {
    const tenants = await this.#select(selection.tenants);
    await this.#validateUnits(tenants);
    return boundedPool(tenants, this.#tenants.concurrency, async (tenant): Promise<TenantOperation<T>> => {
      try {
        return { tenant: tenant.id, value: await work(this.#runnerFor(tenant)) };
      } catch (error) {
        return { tenant: tenant.id, error: tenantError(tenant.id, error) };
      }
    });
  }

  async #select(ids: readonly string[] | undefined): Promise<readonly TTenant[]> {
    const tenants = await this.listTenants();
    if (ids === undefined) return tenants;
    const byId = new Map(tenants.map((tenant) => [tenant.id, tenant]));
    const unknown = ids.filter((id) => !byId.has(id));
    if (unknown.length > 0) {
      const known = tenants.length <= 10 ? ` Known tenants: ${tenants.map((tenant) => tenant.id).join(', ')}.` : ` (${tenants.length} tenants are listed.)`;
      throw new MongockError(
        'INVALID_CONFIG',
        `Unknown tenant${unknown.length === 1 ? '' : 's'} ${unknown.map((id) => `'${id}'`).join(', ')}: tenants.list does not give ${unknown.length === 1 ? 'it' : 'them'}.${known}`,
      );
    }
    return [...new Set(ids)].map((id) => byId.get(id) as TTenant);
  }

  /**
   * The plain single-database config of one tenant (its driver, `ctx.tenant` in `dependencies`),
   * for work on one database: `mongock unlock --tenant acme`, a test, a repair script.
   */
  async configFor(id: string): Promise<MongockConfig> {
    const [tenant] = await this.#select([id]);
    return this.#configFor(tenant as TTenant);
  }

  /**
   * Every listed tenant (or the selected ones) with its plain single-database config, from one
   * listing: what the dashboard shows, one card per tenant.
   *
   * @example
   * ```ts
   * import { createServer } from 'node:http';
   * import { multiTenantRunner } from 'mongock';
   * import { createDashboardHandler } from 'mongock/dashboard';
   * import { sqliteDriver } from 'mongock/sqlite';
   *
   * const runner = multiTenantRunner({
   *   migrationScanPath: './migrations',
   *   tenants: { list: [{ id: 'acme' }, { id: 'globex' }], driver: (tenant) => sqliteDriver({ filename: `${tenant.id}.db` }) },
   * });
   * const databases = (await runner.tenantConfigs()).map(({ tenant, config }) => ({ name: tenant.id, config }));
   * createServer(createDashboardHandler({ databases })).listen(8080, '127.0.0.1');
   * ```
   */
  async tenantConfigs(selection: TenantSelection = {}): Promise<ReadonlyArray<{ readonly tenant: TTenant; readonly config: MongockConfig }>> {
    const tenants = await this.#select(selection.tenants);
    return tenants.map((tenant) => ({ tenant, config: this.#configFor(tenant) }));
  }

  #configFor(tenant: TTenant): MongockConfig {
    return { ...this.#shared, driver: this.#tenants.driver(tenant), dependencies: { ...this.#shared.dependencies, tenant } };
  }

  /** A single-database runner for one tenant: its driver, its logger prefix, `ctx.tenant`, events forwarded. */
  #runnerFor(tenant: TTenant, maxRunMs?: number): MongockRunner {
    const skip = this.#tenants.whenLocked === 'skip';
    const runner = createRunner({
      ...this.#configFor(tenant),
      ...(maxRunMs === undefined ? {} : { maxRunMs }),
      logger: prefixed(this.#logger, tenant.id),
      // Try once: a tenant another process holds is that process's to migrate.
      ...(skip ? { lockConfig: { ...this.#shared.lockConfig, quitTryingAfterMs: 0 }, throwExceptionIfCannotObtainLock: false } : {}),
    });
    for (const event of Object.keys(RUNNER_EVENTS) as MongockEventName[]) {
      if ((this.#listeners.get(event)?.size ?? 0) === 0) continue;
      runner.on(event, (payload) => this.#emit(event, { ...payload, tenant: tenant.id } as MultiTenantEvents[typeof event]));
    }
    return runner;
  }

  #emit<E extends MultiTenantEventName>(event: E, payload: MultiTenantEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (payload: MultiTenantEvents[E]) => void)(payload);
      } catch (error) {
        this.#logger.warn(`An event listener threw: ${errorMessage(error)}`);
      }
    }
  }
}

/**
 * Builds a {@link MultiTenantRunner}; throws `INVALID_CONFIG` at once for a bad config, as
 * `createRunner` does.
 *
 * @example
 * ```ts
 * import { multiTenantRunner } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const runner = multiTenantRunner({
 *   migrationScanPath: './migrations',
 *   tenants: { list: [{ id: 'acme' }], driver: (tenant) => sqliteDriver({ filename: `${tenant.id}.db` }) },
 * });
 * const { ok, summary } = await runner.execute();
 * console.log(ok, summary.completed);
 * ```
 */
export function multiTenantRunner<TTenant extends Tenant>(config: MultiTenantConfig<TTenant>): MultiTenantRunner<TTenant> {
  return new MultiTenantRunner(config);
}

/** The tenant's error as a MongockError whose message starts with the tenant (the original stays the cause). */
function tenantError(tenant: string, error: unknown): MongockError {
  if (isMongockError(error)) {
    return new MongockError(error.code, `Tenant '${tenant}': ${error.message}`, {
      cause: error,
      ...(error.changeId === undefined ? {} : { changeId: error.changeId }),
      ...(error.author === undefined ? {} : { author: error.author }),
      ...(error.operation === undefined ? {} : { operation: error.operation }),
      ...(error.file === undefined ? {} : { file: error.file }),
      ...(error.problems.length === 0 ? {} : { problems: error.problems }),
    });
  }
  return new MongockError('DRIVER_ERROR', `Tenant '${tenant}': ${errorMessage(error)}`, { cause: error });
}

function prefixed(logger: Logger, tenant: string): Logger {
  return Object.freeze({
    debug: (message: string) => logger.debug(`[${tenant}] ${message}`),
    info: (message: string) => logger.info(`[${tenant}] ${message}`),
    warn: (message: string) => logger.warn(`[${tenant}] ${message}`),
    error: (message: string) => logger.error(`[${tenant}] ${message}`),
  });
}
