import type { SqliteDatabase, SqliteStatement } from './sqlite-client.ts';

/** How many distinct statements one connection keeps prepared (a batched unit repeats a handful). */
export const STATEMENT_CACHE_SIZE = 64;

/**
 * The prepared statements of one connection, by SQL text, least recently used dropped first.
 * Preparing is most of what a short statement costs in better-sqlite3 (it parses and plans), and
 * a batched unit sends the same few statements every batch: its read, its update, its checkpoint,
 * the fence, BEGIN and COMMIT. SQLite re-prepares a cached statement itself after a schema change.
 */
export class SqliteStatements {
  readonly #db: SqliteDatabase;
  readonly #cache = new Map<string, SqliteStatement>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  get(sql: string): SqliteStatement {
    let statement = this.#cache.get(sql);
    if (statement !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#cache.delete(sql);
    } else {
      statement = this.#db.prepare(sql);
      if (this.#cache.size >= STATEMENT_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    this.#cache.set(sql, statement);
    return statement;
  }

  /** Runs one statement without parameters or result (BEGIN, COMMIT, SAVEPOINT …), prepared once. */
  run(sql: string): void {
    this.get(sql).run();
  }

  /** Runs a one-off script (a CREATE TABLE once per run): not kept, so it takes no place from the repeated statements. */
  exec(sql: string): void {
    this.#db.exec(sql);
  }
}
