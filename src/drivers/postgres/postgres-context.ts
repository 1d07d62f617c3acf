import type { BaseChangeContext } from '../../change/change-unit.ts';
import { SQL_SCRIPT_TARGET, type SqlScriptTarget } from '../../change/sql/sql-script-target.ts';
import type { LockGuard } from '../driver.ts';
import type { PostgresClient, PostgresQueryResult } from './postgres-client.ts';
import type { PostgresSession } from './postgres-session.ts';

/**
 * What a change unit uses to run SQL on PostgreSQL. Every call goes through the run's dedicated
 * connection, the one that holds the lock: in a transactional unit it is part of the unit's
 * transaction, committed together with its history entry (DDL included); in a
 * `transactional: false` unit each statement commits on its own (so `CREATE INDEX
 * CONCURRENTLY` works). Each call first checks that the runner still holds the lock.
 * Do not issue BEGIN/COMMIT/ROLLBACK yourself; SAVEPOINTs are fine.
 *
 * @example
 * ```ts
 * import { defineChangeUnit } from 'mongock';
 * import type { PostgresChangeContext } from 'mongock/postgres';
 *
 * export default defineChangeUnit<PostgresChangeContext>({
 *   id: 'create-users', order: '001', author: 'dev',
 *   async execute({ sql }) {
 *     await sql.query('CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)');
 *     await sql.query('INSERT INTO users (name) VALUES ($1)', ['ada']);
 *     const users = await sql.rows<{ name: string }>('SELECT name FROM users');
 *     console.log(users.map((user) => user.name));
 *   },
 *   async rollback({ sql }) { await sql.query('DROP TABLE users'); },
 * });
 * ```
 */
export interface PostgresHandle {
  /** Runs one statement (or, without parameters, a script of several) and returns pg's result. */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<PostgresQueryResult<T>>;
  /** Runs one query and returns its rows. */
  rows<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

/** What change units receive from the PostgreSQL driver. */
export interface PostgresChangeContext extends BaseChangeContext {
  /** Guarded SQL on the run's connection, inside the unit's transaction when it has one. */
  readonly sql: PostgresHandle;
  /**
   * The raw `pg` client of that same connection, for anything else (COPY streams, cursors,
   * notifications). Its queries join the same transaction but are not lock-checked first.
   */
  readonly client: PostgresClient;
}

/** The handle given to change units: the lock guard first, then the session. */
export class GuardedPostgresHandle implements PostgresHandle {
  readonly #session: PostgresSession;
  readonly #guard: LockGuard;

  constructor(session: PostgresSession, guard: LockGuard) {
    this.#session = session;
    this.#guard = guard;
  }

  async query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<PostgresQueryResult<T>> {
    await this.#guard.ensure();
    return this.#session.query<T>(text, params);
  }

  async rows<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return (await this.query<T>(text, params)).rows;
  }

  /** How `.sql` change units run their statements: through this handle. */
  get [SQL_SCRIPT_TARGET](): SqlScriptTarget {
    return {
      dialect: 'postgres',
      runStatement: async (statement) => {
        await this.query(statement);
      },
    };
  }
}
