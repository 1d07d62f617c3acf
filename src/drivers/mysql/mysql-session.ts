import { MongockError } from '../../errors/mongock-error.ts';
import { connectError, type MysqlConnection, type MysqlResultHeader, timeoutError } from './mysql-client.ts';

/** Fixed options for Mongock's own statements, whatever the user's pool says (rowsAsArray, nestTables...). */
const INTERNAL = Object.freeze({ rowsAsArray: false, nestTables: false, typeCast: true });

type LostListener = (cause: Error) => void;

/**
 * The one connection a run uses for everything: the `GET_LOCK` session lock, the change units'
 * statements and the history writes. Losing it loses the lock (the server releases session locks
 * with their session), so the session reports the first loss — a connection `error`, the server
 * closing it (`KILL`, restart, `wait_timeout`), or a statement failing fatally — to its listeners.
 */
export class MysqlSession {
  readonly connection: MysqlConnection;
  /** `CONNECTION_ID()`: what `IS_USED_LOCK()` returns for a lock held here. */
  readonly id: number;
  /** `DATABASE()` at connect time: every Mongock table is qualified with it. */
  readonly database: string;
  readonly version: string;
  #lost: Error | undefined;
  /** A transaction that `COMMIT AND CHAIN` opened for the next batch and nobody has taken yet. */
  #chained = false;
  readonly #listeners = new Set<LostListener>();
  readonly #onError = (error: unknown) => this.#markLost(error instanceof Error ? error : new Error(String(error)));
  readonly #onEnd = () => this.#markLost(new Error('the server closed the connection'));

  /** Checks the connection and reads who it is; closes nothing on failure (the caller owns the connection). */
  static async open(connection: MysqlConnection): Promise<MysqlSession> {
    let row: { db: string | null; id: number | string; version: string } | undefined;
    try {
      const [rows] = await connection.query({ sql: 'SELECT DATABASE() AS db, CONNECTION_ID() AS id, VERSION() AS version', ...INTERNAL });
      row = (rows as Array<typeof row>)[0];
    } catch (cause) {
      throw connectError(cause);
    }
    if (row === undefined || row.db === null) {
      throw new MongockError(
        'INVALID_CONFIG',
        'The MySQL/MariaDB connection has no database selected, so Mongock does not know where to keep its tables. Put the database in the URI (mysql://user:password@host:3306/app) or set `database` in the pool/connection options.',
      );
    }
    return new MysqlSession(connection, row.db, Number(row.id), row.version);
  }

  private constructor(connection: MysqlConnection, database: string, id: number, version: string) {
    this.connection = connection;
    this.database = database;
    this.id = id;
    this.version = version;
    connection.on('error', this.#onError);
    connection.on('end', this.#onEnd);
  }

  /** Why the connection is gone, or undefined while it is usable. */
  get lostCause(): Error | undefined {
    return this.#lost;
  }

  /** Calls `listener` once when the connection is lost (at once if it already is); returns the unsubscribe function. */
  onLost(listener: LostListener): () => void {
    if (this.#lost !== undefined) {
      listener(this.#lost);
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs one of Mongock's statements that returns rows. */
  async rows<T>(sql: string, values: readonly unknown[] = []): Promise<T[]> {
    const result = await this.#query({ sql, values, ...INTERNAL });
    return result as T[];
  }

  /** Runs one of Mongock's statements that returns no rows. */
  async run(sql: string, values: readonly unknown[] = []): Promise<MysqlResultHeader> {
    return (await this.#query({ sql, values, ...INTERNAL })) as MysqlResultHeader;
  }

  /** Runs a change unit's statement with the connection's own settings (its typeCast, dateStrings...). */
  async user(sql: string, values: unknown): Promise<unknown> {
    return this.#query(values === undefined ? { sql } : { sql, values });
  }

  /**
   * Starts a transaction, or takes the one the last batch's `COMMIT AND CHAIN` opened (no round
   * trip: that is how a batch costs the statements of a hand-written loop).
   */
  async begin(): Promise<void> {
    if (this.#chained) {
      this.#chained = false;
      return;
    }
    await this.run('START TRANSACTION');
  }

  /**
   * Commits. `chain`: in the same round trip opens the next transaction (`COMMIT AND CHAIN`), for
   * a batch that another is expected to follow; {@link begin} takes it, and any other statement
   * first commits it (it is empty: nothing of it is lost, and nothing runs in it unawares).
   */
  async commit(chain: boolean): Promise<void> {
    await this.run(chain ? 'COMMIT AND CHAIN' : 'COMMIT');
    this.#chained = chain;
  }

  /** Ends a chained transaction nobody took, so that what follows autocommits (a statement of Mongock's does this itself). */
  async settle(): Promise<void> {
    if (!this.#chained) return;
    this.#chained = false;
    await this.#query({ sql: 'COMMIT', ...INTERNAL });
  }

  /** Whether the server is MariaDB (its statement timeout is `max_statement_time`, MySQL's `max_execution_time`). */
  get mariadb(): boolean {
    return /mariadb/i.test(this.version);
  }

  /** Stops listening to the connection (when it goes back to its owner). */
  detach(): void {
    this.connection.removeListener('error', this.#onError);
    this.connection.removeListener('end', this.#onEnd);
    this.#listeners.clear();
  }

  async #query(options: { sql: string; values?: unknown }): Promise<unknown> {
    await this.settle();
    try {
      const [result] = await this.connection.query(options);
      return result;
    } catch (error) {
      if ((error as { fatal?: unknown } | null)?.fatal === true) this.#markLost(error as Error);
      throw timeoutError(error) ?? error;
    }
  }

  #markLost(cause: Error): void {
    if (this.#lost !== undefined) return;
    this.#lost = new Error(`the MySQL/MariaDB connection ${this.id} holding the lock was lost: ${cause.message}`, { cause });
    for (const listener of [...this.#listeners]) listener(this.#lost);
    this.#listeners.clear();
  }
}
