import { optionalPackage } from '../shared/optional-package.ts';

/** The parts of a better-sqlite3 statement the driver uses (typed structurally, as Kysely does). */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows as arrays of values (columns in `columns()` order), not objects. Optional: without it, rows are read as objects. */
  raw?(toggle?: boolean): SqliteStatement;
  columns?(): Array<{ readonly name: string }>;
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

/** Loads better-sqlite3 only when the SQLite driver is used, with an install hint when missing. */
export const loadBetterSqlite3 = optionalPackage<DatabaseConstructor>({
  specifier: 'better-sqlite3',
  needs: "The SQLite driver needs the 'better-sqlite3' package",
  install: 'better-sqlite3',
  pick: (module) => module as DatabaseConstructor,
});
