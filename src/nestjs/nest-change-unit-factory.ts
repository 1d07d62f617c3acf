import type { ModuleRef } from '@nestjs/core';
import type { ChangeUnitFactory } from '../runner/mongock-config.ts';

type UnitClass = Parameters<ChangeUnitFactory>[0];

/**
 * Creates change unit instances with Nest's injector, so their constructors receive the
 * application's providers (a repository, a service, `ConfigService`):
 * 1. a change unit class registered as a provider in any module is resolved from there
 *    (`moduleRef.resolve(Class, undefined, { strict: false })`: singletons as they are,
 *    request-/transient-scoped ones in a fresh context), with that module's dependencies;
 * 2. any other class is instantiated by `moduleRef.create(Class)` in the Mongock module's
 *    context: the exports of its `imports` and every global module.
 *
 * Constructor injection by type needs the class compiled with `emitDecoratorMetadata` (as Nest
 * projects are); `@Inject(token)` parameters work without it. `MongockModule` installs this
 * factory unless the options give a `changeUnitFactory`.
 *
 * @example
 * ```ts
 * import { ChangeUnit, Execution, RollbackExecution } from 'mongock';
 * import type { SqliteChangeContext } from 'mongock/sqlite';
 *
 * // Your provider, injected by Nest when the unit is built.
 * declare class CatalogService { defaultProducts(): Array<{ slug: string }>; }
 *
 * @ChangeUnit({ id: 'seed-products', order: '001', author: 'shop' })
 * export class SeedProducts {
 *   constructor(private readonly catalog: CatalogService) {}
 *   @Execution() async execute({ sql }: SqliteChangeContext) {
 *     for (const product of this.catalog.defaultProducts()) await sql.run('INSERT INTO products (slug) VALUES (?)', product.slug);
 *   }
 *   @RollbackExecution() async rollback({ sql }: SqliteChangeContext) {
 *     await sql.run('DELETE FROM products');
 *   }
 * }
 * ```
 */
export function nestChangeUnitFactory(moduleRef: ModuleRef): ChangeUnitFactory {
  return async (unitClass: UnitClass) => {
    const type = unitClass as unknown as new (...args: unknown[]) => object;
    try {
      return await moduleRef.resolve(type, undefined, { strict: false });
    } catch (error) {
      if (!isUnknownElement(error)) throw error;
    }
    try {
      return await moduleRef.create(type);
    } catch (error) {
      const name = unitClass.name || 'the change unit class';
      throw new Error(
        `Nest could not instantiate ${name}: ${error instanceof Error ? error.message : String(error)} ` +
          `Make its constructor's dependencies visible to Mongock: add the modules that export them to MongockModule's 'imports', ` +
          `or register ${name} as a provider in the module that has them. Injection by type needs 'emitDecoratorMetadata'.`,
        { cause: error },
      );
    }
  };
}

// Nest reports "not registered anywhere" with this class; other errors (a failing constructor,
// a missing dependency of a registered unit) must surface as they are.
function isUnknownElement(error: unknown): boolean {
  return error instanceof Error && error.constructor.name === 'UnknownElementException';
}
