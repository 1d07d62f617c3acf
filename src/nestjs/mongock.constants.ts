/**
 * Injection tokens of `MongockModule`.
 *
 * @example Injecting the runner by token (or by its class, `MongockRunner` from `mongock/nestjs`).
 * ```ts
 * import { Inject, Injectable } from '@nestjs/common';
 * import { MONGOCK_RUNNER, type MongockRunner } from 'mongock/nestjs';
 *
 * @Injectable()
 * export class MigrationsStatus {
 *   constructor(@Inject(MONGOCK_RUNNER) private readonly runner: MongockRunner) {}
 *   pending() { return this.runner.status(); }
 * }
 * ```
 */

/** The resolved {@link MongockModuleOptions} given to `forRoot` / returned by `forRootAsync`. */
export const MONGOCK_OPTIONS = 'MONGOCK_OPTIONS';

/** The module's `MongockRunner`; an alias of the `MongockRunner` class token. */
export const MONGOCK_RUNNER = 'MONGOCK_RUNNER';

/** The module's `MongockMigration` (its own migration's state, `done` and `stop()`); an alias of the class token. */
export const MONGOCK_MIGRATION = 'MONGOCK_MIGRATION';

/** The context Mongock's Nest logger writes under. */
export const MONGOCK_LOGGER_CONTEXT = 'Mongock';

/** The resolved options of `MongockTenantsModule`. */
export const MONGOCK_TENANTS_OPTIONS = 'MONGOCK_TENANTS_OPTIONS';

/** `MongockTenantsModule`'s `MultiTenantRunner`; an alias of the class token. */
export const MONGOCK_TENANTS_RUNNER = 'MONGOCK_TENANTS_RUNNER';
