import { leaseLostError } from '../../errors/error-builders.ts';
import { MongockError } from '../../errors/mongock-error.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import type { Driver, DriverCapabilities, DriverConnection, DriverContext, DriverSettings, Scope, ScopeOptions } from '../driver.ts';
import { defineDriver } from '../shared/define-driver.ts';
import { checkDriverOptions, type DriverOptionSpec } from '../shared/driver-options.ts';
import { SqliteCheckpoints } from './sqlite-checkpoints.ts';
import { loadBetterSqlite3, type SqliteDatabase } from './sqlite-client.ts';
import { type SqliteChangeContext, SqliteHandle } from './sqlite-context.ts';
import { SqliteHistory } from './sqlite-history.ts';
import { isBusy, LOCK_NAME, SqliteLock } from './sqlite-lock.ts';
import { quoteIdentifier } from './sqlite-sql.ts';
import { SqliteStatements } from './sqlite-statements.ts';

/** How long a statement waits for another process's write lock (SQLite `busy_timeout`). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * What `sqliteDriver()` takes: a file to open (and own), or an open better-sqlite3 database; how long
 * to wait for a busy database.
 */
export interface SqliteDriverOptions {
  /** Path of the database file (created if missing). */
  readonly filename?: string;
  /** An open better-sqlite3 database to use instead (not closed by Mongock). */
  readonly database?: SqliteDatabase;
  readonly busyTimeoutMs?: number;
}

const OPTION_SPEC = Object.freeze<DriverOptionSpec<SqliteDriverOptions>>({
  factory: 'sqliteDriver',
  keys: ['filename', 'database', 'busyTimeoutMs'],
  sources: ['filename', 'database'],
  sourcesMessage: 'sqliteDriver needs exactly one of { filename } (a database file path) or { database } (an open better-sqlite3 Database).',
  timeouts: ['busyTimeoutMs'],
});
const CAPABILITIES: DriverCapabilities = Object.freeze({ transactions: true, lease: true, transactionalDdl: true, legacyImport: true });

/**
 * The embedded SQLite driver (better-sqlite3). Each unit and its history entry commit in one
 * transaction (DDL included); the lock is a lease row taken under SQLite's write lock, so
 * processes sharing one file never apply changes concurrently.
 *
 * @example
 * ```ts
 * import { MongockBuilder } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 * await new MongockBuilder().setDriver(sqliteDriver({ filename: 'app.db' })).addMigrationScanPath('./migrations').buildRunner().execute();
 * ```
 */
export function sqliteDriver(options: SqliteDriverOptions): Driver<SqliteChangeContext> {
  return defineDriver('sqlite', CAPABILITIES, checkDriverOptions(options, OPTION_SPEC), SqliteDriverConnection.open);
}

/**
 * Before the first write of a run (every write path starts by taking the lock): WAL lets `status`
 * and other processes' start-up reads proceed while this one migrates, and synchronous=NORMAL is
 * the documented safe pairing (durable across process crashes). A read-only start-up skips both.
 * A database handed in by the user keeps its own settings.
 */
function preparePragmas(db: SqliteDatabase, owned: boolean): void {
  if (!owned || db.memory) return;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  } catch (error) {
    if (!isBusy(error)) throw error;
  }
}

class SqliteDriverConnection implements DriverConnection<SqliteChangeContext> {
  readonly capabilities = CAPABILITIES;
  readonly lock: SqliteLock;
  readonly #db: SqliteDatabase;
  readonly #owned: boolean;
  readonly #history: SqliteHistory;
  readonly #statements: SqliteStatements;
  readonly checkpoints: SqliteCheckpoints;

  static open(options: SqliteDriverOptions, settings: DriverSettings): SqliteDriverConnection {
    if (options.database !== undefined) return new SqliteDriverConnection(options.database, false, settings);
    const Database = loadBetterSqlite3();
    let db: SqliteDatabase;
    try {
      db = new Database(options.filename!, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    } catch (cause) {
      throw new MongockError(
        'DRIVER_ERROR',
        `Cannot open SQLite database '${options.filename}': ${(cause as Error).message}. Check the path and its folder's permissions.`,
        { cause },
      );
    }
    return new SqliteDriverConnection(db, true, settings);
  }

  private constructor(db: SqliteDatabase, owned: boolean, settings: DriverSettings) {
    this.#db = db;
    this.#owned = owned;
    this.#statements = new SqliteStatements(db);
    this.#history = new SqliteHistory(settings.migrationRepositoryName, this.#statements);
    this.checkpoints = new SqliteCheckpoints(settings.migrationRepositoryName, this.#statements);
    this.lock = new SqliteLock(db, settings.lockRepositoryName, () => preparePragmas(db, owned));
  }

  async readHistory(): Promise<ChangeEntry[]> {
    return this.#history.read();
  }

  async prepareHistory(): Promise<void> {
    this.#history.create();
  }

  async now(): Promise<Date> {
    const row = this.#db.prepare("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS now").get() as { now: string };
    return new Date(row.now);
  }

  async runInScope<T>(options: ScopeOptions, work: (scope: Scope<SqliteChangeContext>) => Promise<T>): Promise<T> {
    const context: DriverContext<SqliteChangeContext> = { sql: new SqliteHandle(this.#db, this.#statements, options.guard), database: this.#db };
    if (!options.transactional) {
      // Outside a change's transaction, an entry or a checkpoint still commits only with a fence check.
      const fenced = (write: () => void) => {
        this.#db.exec('BEGIN IMMEDIATE');
        try {
          if (!this.lock.fenceAndRenew(options.lease)) throw leaseLostError(options.lease, LOCK_NAME);
          write();
          this.#db.exec('COMMIT');
        } catch (error) {
          this.#db.exec('ROLLBACK');
          throw error;
        }
      };
      return work({
        context,
        saveEntry: async (entry) => fenced(() => this.#history.save(entry)),
        saveCheckpoint: async (checkpoint) => fenced(() => this.checkpoints.save(checkpoint)),
      });
    }
    const db = this.#db;
    // Prepared once per connection: a batched unit opens one transaction per batch.
    const statements = this.#statements;
    // A checkpoint written under the fence fences the transaction (see SqliteLock.fenceCondition).
    let fenced = false;
    statements.run('BEGIN IMMEDIATE');
    try {
      const result = await work({
        context,
        saveEntry: async (entry) => this.#history.save(entry),
        saveCheckpoint: async (checkpoint) => {
          if (!this.checkpoints.saveFenced(checkpoint, this.lock.fenceCondition(options.lease))) throw leaseLostError(options.lease, LOCK_NAME);
          fenced = true;
        },
      });
      if (!fenced && !this.lock.fenceAndRenew(options.lease)) throw leaseLostError(options.lease, LOCK_NAME);
      statements.run('COMMIT');
      return result;
    } catch (error) {
      // Undoes the change; the lease is then what it was at BEGIN, which the lock manager keeps
      // renewing (no savepoint to keep a renewal through the rollback: two statements less per unit).
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Another tool's history table (`table`, or `schema.table` for an attached database). */
  async readLegacyRecords(origin: string): Promise<Array<Record<string, unknown>>> {
    return this.#db.prepare(`SELECT * FROM ${origin.split('.').map(quoteIdentifier).join('.')}`).all() as Array<Record<string, unknown>>;
  }

  async close(): Promise<void> {
    if (this.#owned) this.#db.close();
  }
}
