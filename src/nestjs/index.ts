/**
 * `mongock/nestjs`: Mongock as a NestJS module. Needs `@nestjs/common` and `@nestjs/core` (10+),
 * which the application already has.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { MongockModule } from 'mongock/nestjs';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * @Module({ imports: [MongockModule.forRoot({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: 'dist/migrations' })] })
 * export class AppModule {}
 * ```
 */

// The runner class is re-exported as a value here (the core exports its type only) because Nest
// injects by class: `constructor(private readonly runner: MongockRunner)`.
export { MongockRunner } from '../runner/mongock-runner.ts';
export { MultiTenantRunner } from '../tenants/multi-tenant-runner.ts';
export {
  MONGOCK_LOGGER_CONTEXT,
  MONGOCK_MIGRATION,
  MONGOCK_OPTIONS,
  MONGOCK_RUNNER,
  MONGOCK_TENANTS_OPTIONS,
  MONGOCK_TENANTS_RUNNER,
} from './mongock.constants.ts';
export { MongockModule } from './mongock.module.ts';
export { MongockMigration, type MongockMigrationState } from './mongock-migration.ts';
export type {
  MongockDashboardOptions,
  MongockModuleAsyncOptions,
  MongockModuleOptions,
  MongockModuleRootOptions,
  MongockOptionsFactory,
  MongockStartupHook,
} from './mongock-options.ts';
export {
  MongockTenantsLifecycle,
  MongockTenantsModule,
  type MongockTenantsModuleAsyncOptions,
  type MongockTenantsModuleOptions,
} from './mongock-tenants.module.ts';
export { MongockTenantsMigration, type MongockTenantsMigrationState } from './mongock-tenants-migration.ts';
export { nestChangeUnitFactory } from './nest-change-unit-factory.ts';
export { nestLogger } from './nest-logger.ts';
