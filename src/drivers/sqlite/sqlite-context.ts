import type { BaseChangeContext } from '../../change/change-unit.ts';
import { SQL_SCRIPT_TARGET, type SqlScriptTarget } from '../../change/sql/sql-script-target.ts';
import type { LockGuard } from '../driver.ts';
import type { SqliteDatabase } from './sqlite-client.ts';
import type { SqliteStatements } from './sqlite-statements.ts';

/**
 * What a change unit uses to run SQL on SQLite. In a transactional unit every statement is part
 * of the unit's transaction, committed with its history entry. Each call first checks that the
 * runner still holds the lock. Do not issue BEGIN/COMMIT yourself.
 *
 * @example
 * ```ts
 * import { defineChangeUnit } from 'mongock';
 * import type { SqliteChangeContext } from 'mongock/sqlite';
 *
 * export default defineChangeUnit<SqliteChangeContext>({
 *   id: 'create-users', order: '001', author: 'dev',
 *   async execute({ sql }) {
 *     await sql.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
 *     await sql.run('INSERT INTO users (name) VALUES (?)', 'ada');
 *     const rows = await sql.all<{ name: string }>('SELECT name FROM users');
 *     console.log(rows.map((row) => row.name));
 *   },
 *   async rollback({ sql }) { await sql.exec('DROP TABLE users'); },
 * });
 * ```
 */
export class SqliteHandle {
  readonly #db: SqliteDatabase;
  readonly #statements: SqliteStatements;
  readonly #guard: LockGuard;

  /** `statements`: the connection's prepared statements, so a batch's repeated statements are parsed once. */
  constructor(db: SqliteDatabase, statements: SqliteStatements, guard: LockGuard) {
    this.#db = db;
    this.#statements = statements;
    this.#guard = guard;
  }

  /** Runs one or more statements without parameters (DDL, scripts). */
  async exec(sql: string): Promise<void> {
    await this.#guard.ensure();
    this.#db.exec(sql);
  }

  /** Runs one statement; returns the number of rows it changed. */
  async run(sql: string, ...params: unknown[]): Promise<{ changes: number }> {
    await this.#guard.ensure();
    const { changes } = this.#statements.get(sql).run(...params);
    return { changes };
  }

  async all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]> {
    await this.#guard.ensure();
    return this.#statements.get(sql).all(...params) as T[];
  }

  async get<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | undefined> {
    await this.#guard.ensure();
    return this.#statements.get(sql).get(...params) as T | undefined;
  }

  /** How `.sql` change units run their statements: through this handle. */
  get [SQL_SCRIPT_TARGET](): SqlScriptTarget {
    return { dialect: 'sqlite', runStatement: (statement) => this.exec(statement) };
  }
}

/** What change units receive from the SQLite driver. */
export interface SqliteChangeContext extends BaseChangeContext {
  /** Guarded, transaction-aware SQL. */
  readonly sql: SqliteHandle;
  /** The raw better-sqlite3 database, for anything else (unguarded). */
  readonly database: SqliteDatabase;
}
