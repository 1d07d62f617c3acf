import type { DynamicModule, FactoryProvider, InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MongockError } from '../errors/mongock-error.ts';
import { MultiTenantRunner } from '../tenants/multi-tenant-runner.ts';
import type { MultiTenantConfig } from '../tenants/tenant-config.ts';
import { MONGOCK_TENANTS_OPTIONS, MONGOCK_TENANTS_RUNNER } from './mongock.constants.ts';
import { MongockLifecycle, type StartupMigration } from './mongock-lifecycle.ts';
import type { MongockStartupHook } from './mongock-options.ts';
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
  /** Reject the start-up when a tenant failed. Default false. */
  readonly failOnTenantFailure?: boolean;
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
      const { runOnStartup: _run, startupHook: _hook, failOnTenantFailure: _fail, ...config } = options;
      return new MultiTenantRunner({
        ...config,
        logger: config.logger ?? nestLogger(),
        changeUnitFactory: config.changeUnitFactory ?? nestChangeUnitFactory(moduleRef),
      });
    },
    inject: [MONGOCK_TENANTS_OPTIONS, ModuleRef],
  };
  const lifecycle: FactoryProvider<MongockTenantsLifecycle> = {
    provide: MongockTenantsLifecycle,
    useFactory: (options: MongockTenantsModuleOptions, tenants: MultiTenantRunner) => new MongockTenantsLifecycle(options, tenants),
    inject: [MONGOCK_TENANTS_OPTIONS, MultiTenantRunner],
  };
  return {
    module: MongockTenantsModule,
    global: true,
    imports: [...imports],
    providers: [optionsProvider, runner, { provide: MONGOCK_TENANTS_RUNNER, useExisting: MultiTenantRunner }, lifecycle],
    exports: [MONGOCK_TENANTS_OPTIONS, MultiTenantRunner, MONGOCK_TENANTS_RUNNER],
  };
}

/**
 * `MongockTenantsModule`'s start-up: every tenant migrated, a summary logged; a failing tenant
 * stops the start-up only with `failOnTenantFailure`. The hooks are {@link MongockLifecycle}'s.
 */
export function tenantsStartup(options: MongockTenantsModuleOptions, runner: MultiTenantRunner): StartupMigration {
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
  constructor(options: MongockTenantsModuleOptions, runner: MultiTenantRunner) {
    super(tenantsStartup(options, runner));
  }
}
