import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Provider, Type } from '@nestjs/common';
import type { DashboardOptions } from '../dashboard/dashboard-options.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';

/** `MongockModule`'s `dashboard` option: where to mount it on the application's HTTP server, and its options. */
export interface MongockDashboardOptions extends Omit<DashboardOptions, 'path'> {
  /** The mount path, e.g. `/mongock`. */
  readonly path: string;
}

/**
 * When the module migrates on its own, like Mongock's `runnerType`:
 * - `onApplicationBootstrap` (default, Mongock's `ApplicationRunner`): after every module's
 *   `onModuleInit`, so the services change units use are initialised; `app.init()` and
 *   `app.listen()` resolve only once the migration is over.
 * - `onModuleInit` (Mongock's `InitializingBean`): earlier, before other modules'
 *   `onApplicationBootstrap` hooks (schedulers, queue consumers) start.
 */
export type MongockStartupHook = 'onModuleInit' | 'onApplicationBootstrap';

/**
 * Everything `MongockModule` needs: a {@link MongockConfig} (the same object a config file or
 * `createRunner` takes) plus when to run it. Inside Nest, `logger` defaults to Nest's logger
 * (context `Mongock`) and `changeUnitFactory` to Nest's injector.
 *
 * @example
 * ```ts
 * import type { ChangeUnitDefinition } from 'mongock';
 * import type { MongockModuleOptions } from 'mongock/nestjs';
 * import { sqliteDriver, type SqliteChangeContext } from 'mongock/sqlite';
 *
 * // Your change units: a decorated class and a plain definition.
 * declare class CreateProducts {}
 * declare const addPriceIndex: ChangeUnitDefinition<SqliteChangeContext>;
 *
 * const options: MongockModuleOptions = {
 *   driver: sqliteDriver({ filename: 'app.db' }),
 *   changeUnits: [CreateProducts, addPriceIndex],
 *   activeProfiles: [process.env.NODE_ENV ?? 'default'],
 *   runOnStartup: true,
 * };
 * ```
 */
export interface MongockModuleOptions<TContext extends object = object> extends MongockConfig<TContext> {
  /** Migrate while the application bootstraps (default true). `false`: call the injected `MongockRunner` yourself. */
  readonly runOnStartup?: boolean;
  /** Which Nest lifecycle hook migrates when `runOnStartup` is true. Default `onApplicationBootstrap`. */
  readonly startupHook?: MongockStartupHook;
  /**
   * Let the application serve while batched units finish (default false): the start-up applies
   * the pending units up to the first batched one and waits for its first batch; the rest goes on
   * through `runner.executeInBackground()`, in slices of the runner's `maxRunMs` (else 10 s), under
   * the lock only while a slice works. At shutdown it stops at the next batch boundary (checkpoint
   * saved, lock released; awaited) and the next start resumes. Follow it, or await it, through the
   * injectable `MongockMigration`. See docs/nestjs.md.
   */
  readonly background?: boolean;
  /** Serves the dashboard (docs/dashboard.md) on the application's HTTP server under `path`. Default: not served. */
  readonly dashboard?: MongockDashboardOptions;
}

/**
 * `MongockModule.forRoot`'s argument: the options plus `imports`, the modules whose exported
 * providers change unit constructors may receive (global modules are always visible).
 */
export interface MongockModuleRootOptions<TContext extends object = object> extends MongockModuleOptions<TContext> {
  readonly imports?: ModuleMetadata['imports'];
}

/**
 * A provider class that builds the options, for `forRootAsync({ useClass })` / `useExisting`.
 *
 * @example
 * ```ts
 * import { Injectable } from '@nestjs/common';
 * import type { MongockModuleOptions, MongockOptionsFactory } from 'mongock/nestjs';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * // Your settings provider and your list of change units.
 * declare class AppSettings { readonly databaseFile: string; }
 * declare const MIGRATIONS: MongockModuleOptions['changeUnits'];
 *
 * @Injectable()
 * export class MongockConfigService implements MongockOptionsFactory {
 *   constructor(private readonly settings: AppSettings) {}
 *   createMongockOptions(): MongockModuleOptions {
 *     return { driver: sqliteDriver({ filename: this.settings.databaseFile }), changeUnits: MIGRATIONS };
 *   }
 * }
 * ```
 */
export interface MongockOptionsFactory {
  createMongockOptions(): MongockModuleOptions | Promise<MongockModuleOptions>;
}

/**
 * `MongockModule.forRootAsync`'s argument: exactly one of `useFactory` (with `inject`),
 * `useClass` or `useExisting`. `imports` makes the factory's dependencies available and, as in
 * `forRoot`, lets change unit constructors receive those modules' exported providers.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { MongockModule, type MongockModuleOptions } from 'mongock/nestjs';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * // Your settings module and provider, and your list of change units.
 * declare class SettingsModule {}
 * declare class AppSettings { readonly databaseFile: string; }
 * declare const MIGRATIONS: MongockModuleOptions['changeUnits'];
 *
 * @Module({
 *   imports: [
 *     MongockModule.forRootAsync({
 *       imports: [SettingsModule],
 *       inject: [AppSettings],
 *       useFactory: (settings: AppSettings) => ({ driver: sqliteDriver({ filename: settings.databaseFile }), changeUnits: MIGRATIONS }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export interface MongockModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Called with the `inject` tokens' values, in order. */
  readonly useFactory?: (...args: never[]) => MongockModuleOptions | Promise<MongockModuleOptions>;
  readonly inject?: ReadonlyArray<InjectionToken | OptionalFactoryDependency>;
  readonly useClass?: Type<MongockOptionsFactory>;
  readonly useExisting?: Type<MongockOptionsFactory>;
  /** More providers for the module, e.g. what a `useClass` factory needs. */
  readonly extraProviders?: readonly Provider[];
}
