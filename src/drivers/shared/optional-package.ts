import { createRequire } from 'node:module';
import { MongockError } from '../../errors/mongock-error.ts';

/** What a driver says when the package it needs is not installed. */
export interface OptionalPackage<T> {
  /** What `require` loads, e.g. `mysql2/promise`. */
  readonly specifier: string;
  /** The start of the message, e.g. "The MySQL/MariaDB driver needs the 'mysql2' package". */
  readonly needs: string;
  /** What to install, e.g. `mysql2`. */
  readonly install: string;
  /** The part of the module the driver uses. */
  readonly pick: (module: unknown) => T;
}

/**
 * A loader for an optional peer package: required only when first called (a user of one driver
 * never needs the others' packages), then cached; a missing package is a `DRIVER_ERROR` that says
 * what to install, with the require failure as its cause.
 */
export function optionalPackage<T>(spec: OptionalPackage<T>): () => T {
  let cached: T | undefined;
  return () => {
    if (cached !== undefined) return cached;
    try {
      cached = spec.pick(createRequire(import.meta.url)(spec.specifier));
      return cached;
    } catch (cause) {
      throw new MongockError('DRIVER_ERROR', `${spec.needs}: run \`npm install ${spec.install}\`.`, { cause });
    }
  };
}
