import type { DynamicModule, FactoryProvider, Provider } from '@nestjs/common';
import { MongockError } from '../errors/mongock-error.ts';
import { MongockRunner } from '../runner/mongock-runner.ts';
import { MONGOCK_MIGRATION, MONGOCK_OPTIONS, MONGOCK_RUNNER } from './mongock.constants.ts';
import { mongockDashboardProvider } from './mongock-dashboard.ts';
import { MongockLifecycle, singleDatabaseStartup } from './mongock-lifecycle.ts';
import { MongockMigration } from './mongock-migration.ts';
import type { MongockModuleAsyncOptions, MongockModuleOptions, MongockModuleRootOptions, MongockOptionsFactory } from './mongock-options.ts';
import { mongockRunnerProvider } from './mongock-runner.provider.ts';

/**
 * Mongock in a NestJS application: migrates while the application bootstraps (or when you call
 * the injected {@link MongockRunner}), with change unit classes created by Nest's injector.
 * The module is global: inject `MongockRunner` (or `MONGOCK_RUNNER`) anywhere. Register it once.
 *
 * Built without decorators (the providers are factories with explicit `inject` lists), so it
 * works whichever decorator mode and module format the application compiles to.
 *
 * @example
 * ```ts
 * import type { ChangeUnitDefinition } from 'mongock';
 * import { Module } from '@nestjs/common';
 * import { MongockModule } from 'mongock/nestjs';
 * import { sqliteDriver, type SqliteChangeContext } from 'mongock/sqlite';
 *
 * // Your module whose providers change units need, and your change units.
 * declare class CatalogModule {}
 * // Your change units: a decorated class and a plain definition.
 * declare class CreateProducts {}
 * declare const addPriceIndex: ChangeUnitDefinition<SqliteChangeContext>;
 *
 * @Module({
 *   imports: [
 *     CatalogModule,
 *     MongockModule.forRoot({
 *       driver: sqliteDriver({ filename: 'shop.db' }),
 *       changeUnits: [CreateProducts, addPriceIndex],
 *       imports: [CatalogModule], // change unit constructors can receive CatalogService
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class; forRoot/forRootAsync are its conventional static factories.
export class MongockModule {
  /** Configures the module with options known up front. */
  static forRoot<TContext extends object>(options: MongockModuleRootOptions<TContext>): DynamicModule {
    const { imports, ...rest } = options;
    const moduleOptions: MongockModuleOptions = Object.freeze(rest as MongockModuleOptions);
    return dynamicModule(imports ?? [], [{ provide: MONGOCK_OPTIONS, useValue: moduleOptions }]);
  }

  /** Configures the module from other providers (`ConfigService`, settings): `useFactory`, `useClass` or `useExisting`. */
  static forRootAsync(options: MongockModuleAsyncOptions): DynamicModule {
    return dynamicModule(options.imports ?? [], [...asyncOptionsProviders(options), ...(options.extraProviders ?? [])]);
  }
}

// Outside the class so the bundler keeps the class's name (Nest logs it).
function dynamicModule(imports: NonNullable<DynamicModule['imports']>, optionsProviders: Provider[]): DynamicModule {
  const lifecycle: FactoryProvider<MongockLifecycle> = {
    provide: MongockLifecycle,
    useFactory: (options: MongockModuleOptions, runner: MongockRunner, migration: MongockMigration) =>
      new MongockLifecycle(singleDatabaseStartup(options, runner, migration)),
    inject: [MONGOCK_OPTIONS, MongockRunner, MongockMigration],
  };
  const migration: FactoryProvider<MongockMigration> = { provide: MongockMigration, useFactory: () => new MongockMigration() };
  return {
    module: MongockModule,
    global: true,
    imports: [...imports],
    providers: [
      ...optionsProviders,
      mongockRunnerProvider,
      { provide: MONGOCK_RUNNER, useExisting: MongockRunner },
      migration,
      { provide: MONGOCK_MIGRATION, useExisting: MongockMigration },
      lifecycle,
      mongockDashboardProvider,
    ],
    exports: [MONGOCK_OPTIONS, MongockRunner, MONGOCK_RUNNER, MongockMigration, MONGOCK_MIGRATION],
  };
}

function asyncOptionsProviders(options: MongockModuleAsyncOptions): Provider[] {
  const styles = [options.useFactory, options.useClass, options.useExisting].filter((style) => style !== undefined).length;
  if (styles !== 1) {
    throw new MongockError(
      'INVALID_CONFIG',
      `MongockModule.forRootAsync needs exactly one of useFactory, useClass or useExisting; got ${styles === 0 ? 'none' : 'several'}.`,
    );
  }
  if (options.useFactory !== undefined) {
    return [{ provide: MONGOCK_OPTIONS, useFactory: options.useFactory, inject: [...(options.inject ?? [])] }];
  }
  const factoryClass = (options.useClass ?? options.useExisting)!;
  const fromFactory: FactoryProvider<Promise<MongockModuleOptions>> = {
    provide: MONGOCK_OPTIONS,
    useFactory: async (factory: MongockOptionsFactory) => factory.createMongockOptions(),
    inject: [factoryClass],
  };
  return options.useClass !== undefined ? [fromFactory, { provide: factoryClass, useClass: factoryClass }] : [fromFactory];
}
