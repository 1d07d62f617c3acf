import { createRequire } from 'node:module';
import { MongockError } from '../../errors/mongock-error.ts';

/** The parts of a better-sqlite3 statement the driver uses (typed structurally, as Kysely does). */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The parts of a better-sqlite3 `Database` the driver uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
  readonly inTransaction: boolean;
  readonly memory: boolean;
  readonly name: string;
}

type DatabaseConstructor = new (filename: string, options?: { timeout?: number }) => SqliteDatabase;

let constructorCache: DatabaseConstructor | undefined;

/** Loads better-sqlite3 only when the SQLite driver is used, with an install hint when missing. */
export function loadBetterSqlite3(): DatabaseConstructor {
  if (constructorCache !== undefined) return constructorCache;
  try {
    const require = createRequire(import.meta.url);
    constructorCache = require('better-sqlite3') as DatabaseConstructor;
    return constructorCache;
  } catch (cause) {
    throw new MongockError('DRIVER_ERROR', "The SQLite driver needs the 'better-sqlite3' package: run `npm install better-sqlite3`.", { cause });
  }
}
