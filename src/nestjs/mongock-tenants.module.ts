import type { DynamicModule, FactoryProvider, InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MongockError } from '../errors/mongock-error.ts';
import { MultiTenantRunner } from '../tenants/multi-tenant-runner.ts';
import type { MultiTenantConfig } from '../tenants/tenant-config.ts';
import type { TenantBackgroundState } from '../tenants/tenants-background.ts';
import { checkStartupOptions } from './check-startup-options.ts';
import { MONGOCK_TENANTS_OPTIONS, MONGOCK_TENANTS_RUNNER } from './mongock.constants.ts';
import { MongockLifecycle, type StartupMigration } from './mongock-lifecycle.ts';
import type { MongockStartupHook } from './mongock-options.ts';
import { MongockTenantsMigration, trackTenants } from './mongock-tenants-migration.ts';
import { nestChangeUnitFactory } from './nest-change-unit-factory.ts';
import { nestLogger } from './nest-logger.ts';

/**
 * `MongockTenantsModule`'s options: a {@link MultiTenantConfig} plus when to run it. A failing
 * tenant is logged and the application starts (the other tenants are served); with
 * `failOnTenantFailure: true` it stops the start-up instead.
 */
export interface MongockTenantsModuleOptions extends MultiTenantConfig {
  /** Migrate every tenant while the application bootstraps (default true). */
  readonly runOnStartup?: boolean;
  readonly startupHook?: MongockStartupHook;
  /** Reject the start-up when a tenant failed (with `background`: in its start-up part). Default false. */
  readonly failOnTenantFailure?: boolean;
  /**
   * Serve once every tenant's start-up part is done (its units before its first batched one
   * applied, that unit's first batch committed), one tenant after the other; then each tenant's
   * remaining batched work runs in the background, one tenant at a time, tracked by the injectable
   * {@link MongockTenantsMigration} and stopped at a batch boundary at shutdown. Default false.
   */
  readonly background?: boolean;
}

/**
 * `MongockTenantsModule.forRootAsync()`'s options: a factory for the module options, the providers it
 * is given, and the modules they come from.
 */
export interface MongockTenantsModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: (...args: never[]) => MongockTenantsModuleOptions | Promise<MongockTenantsModuleOptions>;
  readonly inject?: ReadonlyArray<InjectionToken | OptionalFactoryDependency>;
}

/**
 * Mongock for a database per tenant, as a Nest module: migrates every tenant at start-up and
 * provides the {@link MultiTenantRunner} (by class, or `MONGOCK_TENANTS_RUNNER`) for on-demand
 * runs, e.g. when a tenant signs up. See docs/multi-tenant.md.
 *
 * @example
 * ```ts
 * import { Injectable, Module } from '@nestjs/common';
 * import type { Tenant } from 'mongock';
 * import { MongockTenantsModule, MultiTenantRunner } from 'mongock/nestjs';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * // Your tenant catalogue.
 * declare function listTenants(): Promise<Tenant[]>;
 * const tenantDriver = (tenant: Tenant) => sqliteDriver({ filename: `${tenant.id}.db` });
 *
 * @Module({ imports: [MongockTenantsModule.forRoot({ migrationScanPath: 'dist/migrations', tenants: { list: listTenants, driver: tenantDriver } })] })
 * export class AppModule {}
 *
 * // later, in a service:
 * @Injectable()
 * export class SignUpService {
 *   constructor(private readonly tenants: MultiTenantRunner) {}
 *   async onSignUp(id: string) { await this.tenants.execute({ tenants: [id] }); }
 * }
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class; forRoot/forRootAsync are its conventional static factories.
export class MongockTenantsModule {
  static forRoot(options: MongockTenantsModuleOptions & Pick<ModuleMetadata, 'imports'>): DynamicModule {
    const { imports, ...rest } = options;
    return tenantsModule(imports ?? [], { provide: MONGOCK_TENANTS_OPTIONS, useValue: Object.freeze(rest) });
  }

  static forRootAsync(options: MongockTenantsModuleAsyncOptions): DynamicModule {
    if (typeof options?.useFactory !== 'function') throw new MongockError('INVALID_CONFIG', 'MongockTenantsModule.forRootAsync needs a useFactory.');
    return tenantsModule(options.imports ?? [], { provide: MONGOCK_TENANTS_OPTIONS, useFactory: options.useFactory, inject: [...(options.inject ?? [])] });
  }
}

function tenantsModule(
  imports: NonNullable<DynamicModule['imports']>,
  optionsProvider: DynamicModule['providers'] extends (infer P)[] | undefined ? P : never,
): DynamicModule {
  const runner: FactoryProvider<MultiTenantRunner> = {
    provide: MultiTenantRunner,
    useFactory: (options: MongockTenantsModuleOptions, moduleRef: ModuleRef) => {
      checkStartupOptions(options, { module: 'MongockTenantsModule', factory: "forRootAsync's useFactory", booleans: ['failOnTenantFailure'] });
      const { runOnStartup: _run, startupHook: _hook, failOnTenantFailure: _fail, background: _background, ...config } = options;
      return new MultiTenantRunner({
        ...config,
        logger: config.logger ?? nestLogger(),
        changeUnitFactory: config.changeUnitFactory ?? nestChangeUnitFactory(moduleRef),
      });
    },
    inject: [MONGOCK_TENANTS_OPTIONS, ModuleRef],
  };
  const migration: FactoryProvider<MongockTenantsMigration> = { provide: MongockTenantsMigration, useFactory: () => new MongockTenantsMigration() };
  const lifecycle: FactoryProvider<MongockTenantsLifecycle> = {
    provide: MongockTenantsLifecycle,
    useFactory: (options: MongockTenantsModuleOptions, tenants: MultiTenantRunner, handle: MongockTenantsMigration) =>
      new MongockTenantsLifecycle(options, tenants, handle),
    inject: [MONGOCK_TENANTS_OPTIONS, MultiTenantRunner, MongockTenantsMigration],
  };
  return {
    module: MongockTenantsModule,
    global: true,
    imports: [...imports],
    providers: [optionsProvider, runner, { provide: MONGOCK_TENANTS_RUNNER, useExisting: MultiTenantRunner }, migration, lifecycle],
    exports: [MONGOCK_TENANTS_OPTIONS, MultiTenantRunner, MONGOCK_TENANTS_RUNNER, MongockTenantsMigration],
  };
}

/**
 * `MongockTenantsModule`'s start-up: every tenant migrated, a summary logged; a failing tenant
 * stops the start-up only with `failOnTenantFailure`. With `background: true` (and `handle`),
 * see {@link backgroundTenantsStartup}. The hooks are {@link MongockLifecycle}'s.
 */
export function tenantsStartup(options: MongockTenantsModuleOptions, runner: MultiTenantRunner, handle?: MongockTenantsMigration): StartupMigration {
  if (options.background === true && handle !== undefined) return backgroundTenantsStartup(options, runner, handle);
  const logger = options.logger ?? nestLogger();
  return {
    runOnStartup: options.runOnStartup,
    startupHook: options.startupHook,
    migrate: async () => {
      const result = await runner.execute();
      const { summary } = result;
      const line = `Tenants: ${summary.completed} migrated, ${summary.upToDate} up to date, ${summary.failed} failed, ${summary.skipped} skipped, ${summary.inProgress > 0 ? `${summary.inProgress} in progress, ` : ''}of ${summary.total}.`;
      if (result.ok) {
        logger.info(line);
        return result;
      }
      const failed = result.tenants.filter((tenant) => tenant.outcome === 'failed').map((tenant) => tenant.tenant);
      if (options.failOnTenantFailure === true) {
        throw new MongockError('CHANGE_FAILED', `${line} Failed: ${failed.join(', ')}; the application does not start (failOnTenantFailure).`, {
          cause: result.tenants.find((tenant) => tenant.error !== undefined)?.error,
        });
      }
      logger.error(`${line} Failed: ${failed.join(', ')}; the application starts and serves the other tenants.`);
      return result;
    },
  };
}

/**
 * The tenants module's lifecycle provider: {@link MongockLifecycle} over {@link tenantsStartup}.
 * `MongockTenantsModule` provides it; build one yourself only to run the same start-up outside it.
 *
 * @example
 * ```ts
 * import { MongockTenantsLifecycle, type MongockTenantsModuleOptions, type MultiTenantRunner } from 'mongock/nestjs';
 *
 * declare const options: MongockTenantsModuleOptions;
 * declare const runner: MultiTenantRunner;
 *
 * const lifecycle = new MongockTenantsLifecycle(options, runner);
 * await lifecycle.onModuleInit();
 * ```
 */
export class MongockTenantsLifecycle extends MongockLifecycle {
  constructor(options: MongockTenantsModuleOptions, runner: MultiTenantRunner, handle?: MongockTenantsMigration) {
    super(tenantsStartup(options, runner, handle));
  }
}

/**
 * `background: true`: `runner.executeInBackground()`, awaited until every tenant's start-up part
 * is done; the rest goes on while the application serves, tracked by `handle`, which the
 * shutdown stops first (at a batch boundary). A tenant failing in its start-up part is logged
 * and the others are served, or, with `failOnTenantFailure`, the start-up stops (after the run
 * is stopped, so no lock is left held).
 */
function backgroundTenantsStartup(options: MongockTenantsModuleOptions, runner: MultiTenantRunner, handle: MongockTenantsMigration): StartupMigration {
  const logger = options.logger ?? nestLogger();
  return {
    runOnStartup: options.runOnStartup,
    startupHook: options.startupHook,
    migrate: async () => {
      const run = runner.executeInBackground();
      trackTenants(handle, run);
      await run.ready;
      const tenants = run.tenants();
      const failed = tenants.filter((tenant) => tenant.state === 'failed').map((tenant) => tenant.tenant);
      const count = (state: TenantBackgroundState) => tenants.filter((tenant) => tenant.state === state).length;
      // `pending`: not reached (stopAfterFailures, or stopped meanwhile); never counted as migrated.
      const pending = count('pending');
      const line = `Tenants: ${count('finished')} migrated, ${count('waiting') + count('stopped')} with batched work left for the background, ${failed.length} failed, ${count('skipped')} skipped, ${pending > 0 ? `${pending} not reached, ` : ''}of ${tenants.length}.`;
      if (failed.length === 0) logger.info(line);
      else if (options.failOnTenantFailure === true) {
        await handle.stop();
        throw new MongockError('CHANGE_FAILED', `${line} Failed: ${failed.join(', ')}; the application does not start (failOnTenantFailure).`, {
          cause: tenants.find((tenant) => tenant.error !== undefined)?.error,
        });
      } else logger.error(`${line} Failed: ${failed.join(', ')}; the application starts and serves the other tenants.`);
    },
    stop: () => handle.stop(),
  };
}
