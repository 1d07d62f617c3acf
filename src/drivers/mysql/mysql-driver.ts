import { checkpointStoreName } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import type { Driver, DriverCapabilities, DriverConnection, DriverContext, DriverSettings, Scope, ScopeOptions } from '../driver.ts';
import { defineDriver } from '../shared/define-driver.ts';
import { checkDriverOptions, type DriverOptionSpec } from '../shared/driver-options.ts';
import { sqlTableName } from '../shared/sql-table-name.ts';
import { MysqlCheckpoints } from './mysql-checkpoints.ts';
import {
  connectError,
  loadMysql2,
  type MysqlConnection,
  type MysqlOwnedConnection,
  type MysqlPool,
  type MysqlPoolConnection,
  type MysqlPromisable,
  type MysqlResultHeader,
} from './mysql-client.ts';
import { GuardedMysqlHandle, type MysqlChangeContext, TransactionWatch } from './mysql-context.ts';
import { type HistoryRead, MysqlHistory } from './mysql-history.ts';
import { MysqlLock } from './mysql-lock.ts';
import { MysqlSession } from './mysql-session.ts';
import { quoteIdentifier } from './mysql-sql.ts';

/**
 * Where the MySQL/MariaDB driver gets its connection; give exactly one. Each run (execute, undo,
 * status...) uses one connection for everything: from `uri` Mongock opens it and ends it; from
 * `pool` it borrows one and gives it back; a `connection` is used as is and left open (do not use
 * it elsewhere while Mongock runs). The database is the connection's current one (`DATABASE()`).
 */
export interface MysqlDriverOptions {
  /** `mysql://user:password@host:3306/database` (anything `mysql2.createConnection` accepts). */
  readonly uri?: string;
  /** A `mysql2/promise` pool (or a callback-style `mysql2` pool: its `.promise()` is used). */
  readonly pool?: MysqlPool | MysqlPromisable<MysqlPool>;
  /** A `mysql2/promise` connection (or a callback-style one). */
  readonly connection?: MysqlConnection | MysqlPromisable<MysqlConnection>;
  /**
   * With `uri`: how long a statement (a change's or Mongock's own) waits for a table or row lock
   * before failing with `STATEMENT_TIMEOUT` (the session's `lock_wait_timeout` and
   * `innodb_lock_wait_timeout`, in whole seconds, rounded up). Default
   * {@link DEFAULT_LOCK_WAIT_TIMEOUT_MS}; 0: the servers' longest. With `pool`/`connection`, set them on your sessions.
   */
  readonly lockWaitTimeoutMs?: number;
  /**
   * With `uri`: how long one statement may run before failing with `STATEMENT_TIMEOUT` (MariaDB
   * `max_statement_time`; MySQL `max_execution_time`, which bounds read-only SELECTs only).
   * Default 0: no limit (a long data migration is not stopped by surprise).
   */
  readonly statementTimeoutMs?: number;
}

/**
 * How long a statement on the connection Mongock opens waits for a lock: a change blocked behind
 * another session's transaction fails instead of holding Mongock's lock for ever (the servers'
 * own metadata-lock default is a year).
 */
export const DEFAULT_LOCK_WAIT_TIMEOUT_MS = 60_000;

/** The largest `lock_wait_timeout` both servers accept (one year, in seconds). */
const LONGEST_LOCK_WAIT_S = 31_536_000;

const OPTION_SPEC = Object.freeze<DriverOptionSpec<MysqlDriverOptions>>({
  factory: 'mysqlDriver',
  keys: ['uri', 'pool', 'connection', 'lockWaitTimeoutMs', 'statementTimeoutMs'],
  sources: ['uri', 'pool', 'connection'],
  sourcesMessage:
    'mysqlDriver needs exactly one of { uri } (mysql://user:password@host:3306/database), { pool } (a mysql2 pool) or { connection } (a mysql2 connection).',
  nonEmptyStrings: { uri: 'mysqlDriver({ uri }) needs a non-empty connection string such as mysql://user:password@host:3306/database.' },
  timeouts: ['lockWaitTimeoutMs', 'statementTimeoutMs'],
  ownConnectionOnly: {
    source: 'uri',
    timeouts: ['lockWaitTimeoutMs', 'statementTimeoutMs'],
    message: (key: string) =>
      `mysqlDriver: ${key} applies to the connection Mongock opens from uri; with a pool or connection the session is yours: set lock_wait_timeout, innodb_lock_wait_timeout and max_statement_time (MariaDB) / max_execution_time (MySQL) on it.`,
  },
});

/**
 * DML commits with its history entry; DDL commits implicitly (see `transactionalDdl`); the lock is
 * a session lock (`GET_LOCK`), not a lease.
 */
const CAPABILITIES: DriverCapabilities = Object.freeze({ transactions: true, lease: false, transactionalDdl: false, legacyImport: true });

/**
 * The MySQL/MariaDB driver (mysql2). A unit's DML and its history entry commit in one
 * transaction; DDL commits implicitly on these servers, so units that change the schema say
 * `transactional: false` (their rollback method runs on failure, and a crash in the middle is
 * reported by the next run). The lock is `GET_LOCK` on the run's dedicated connection: it dies
 * with the connection, and losing the connection stops the run with `LOCK_LOST`.
 *
 * @example
 * ```ts
 * import { MongockBuilder } from 'mongock';
 * import { mysqlDriver } from 'mongock/mysql';
 * await new MongockBuilder()
 *   .setDriver(mysqlDriver({ uri: process.env.DATABASE_URL! }))
 *   .addMigrationScanPath('./migrations')
 *   .buildRunner()
 *   .execute();
 * ```
 */
export function mysqlDriver(options: MysqlDriverOptions): Driver<MysqlChangeContext> {
  return defineDriver('mysql', CAPABILITIES, checkDriverOptions(options, OPTION_SPEC), MysqlDriverConnection.open);
}

/** How the run's connection was obtained, hence how it is given back. */
type Source =
  | { readonly kind: 'uri'; readonly connection: MysqlOwnedConnection }
  | { readonly kind: 'pool'; readonly connection: MysqlPoolConnection }
  | { readonly kind: 'connection'; readonly connection: MysqlConnection };

class MysqlDriverConnection implements DriverConnection<MysqlChangeContext> {
  readonly capabilities = CAPABILITIES;
  readonly lock: MysqlLock;
  readonly #source: Source;
  readonly #session: MysqlSession;
  readonly #history: MysqlHistory;
  readonly checkpoints: MysqlCheckpoints;
  readonly #settings: DriverSettings;
  #closed = false;

  static async open(options: MysqlDriverOptions, settings: DriverSettings): Promise<MysqlDriverConnection> {
    const source = await obtain(options);
    const silence = () => undefined;
    // An 'error' event without a listener would crash the process before the session listens.
    source.connection.on('error', silence);
    try {
      const session = await MysqlSession.open(source.connection);
      if (source.kind === 'uri') await applyTimeouts(session, options);
      return new MysqlDriverConnection(source, session, settings);
    } catch (error) {
      await giveBack(source, true);
      throw error;
    } finally {
      if (source.kind !== 'uri') source.connection.removeListener('error', silence);
    }
  }

  private constructor(source: Source, session: MysqlSession, settings: DriverSettings) {
    this.#source = source;
    this.#session = session;
    this.#settings = settings;
    this.#history = new MysqlHistory(session, sqlTableName(settings.migrationRepositoryName));
    this.checkpoints = new MysqlCheckpoints(session, checkpointStoreName(sqlTableName(settings.migrationRepositoryName)));
    this.lock = new MysqlLock(session, sqlTableName(settings.lockRepositoryName), settings.logger);
  }

  /**
   * The last history read and the lock row as that same statement saw it: when this connection is
   * then granted the very next fence, and the lock was free at that read, nobody held the lock in
   * between, so nobody wrote history (every history write happens under the lock) and the read
   * is still the truth. The runner's re-read under the lock is then answered from memory (as on
   * PostgreSQL); the lock uses the row it saw for the in-progress marker the same way.
   */
  #lastRead: HistoryRead | undefined;

  async readHistory(): Promise<ChangeEntry[]> {
    const last = this.#lastRead;
    const granted = this.lock.grantedFence;
    if (last?.lock?.free && granted !== undefined && granted === last.lock.fence + 1) return last.entries;
    const read = await this.#history.read(this.lock.qualifiedName);
    this.#lastRead = granted === undefined ? read : undefined;
    this.lock.seen(granted === undefined ? read.lock : undefined);
    return read.entries;
  }

  async prepareHistory(): Promise<void> {
    await this.#history.create();
  }

  async now(): Promise<Date> {
    // Epoch milliseconds: a DATETIME would be read back in the connection's time zone.
    const [row] = await this.#session.rows<{ ms: number | string }>('SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS ms');
    return new Date(Number(row!.ms));
  }

  async runInScope<T>(options: ScopeOptions, work: (scope: Scope<MysqlChangeContext>) => Promise<T>): Promise<T> {
    const session = this.#session;
    if (!options.transactional) {
      // The raw connection must not find itself inside the transaction a batch chained.
      await session.settle();
      const context: DriverContext<MysqlChangeContext> = { sql: new GuardedMysqlHandle(session, options.guard, null), connection: session.connection };
      return work({
        context,
        saveEntry: async (entry) => {
          this.lock.fence(options.lease);
          await this.#history.save(entry);
        },
        saveCheckpoint: async (checkpoint) => {
          this.lock.fence(options.lease);
          await this.checkpoints.save(checkpoint);
        },
      });
    }
    const watch = new TransactionWatch(session, this.#settings.logger);
    const context: DriverContext<MysqlChangeContext> = { sql: new GuardedMysqlHandle(session, options.guard, watch), connection: session.connection };
    await session.begin();
    try {
      let saved: MysqlResultHeader | undefined;
      // A batch that saved a running checkpoint and no entry has another batch after it, most
      // likely: its COMMIT opens that batch's transaction (mysql2 sends one statement per query).
      let more = false;
      const result = await work({
        context,
        saveEntry: async (entry) => {
          saved = await this.#history.save(entry);
          more = false;
        },
        saveCheckpoint: async (checkpoint) => {
          saved = await this.checkpoints.save(checkpoint);
          more = checkpoint.state === 'running';
        },
      });
      // The entry is the last statement before COMMIT: its header says whether the transaction
      // is still open (no extra round trip); without one, ask the server.
      await watch.verifyOpen(saved);
      // Fencing: commit only while this session still holds the lock (see MysqlLock.fence). If
      // the connection dies before COMMIT, COMMIT fails with it and the server rolls back.
      this.lock.fence(options.lease);
      await session.commit(more);
      return result;
    } catch (error) {
      await session.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Another tool's history table (`table` or `database.table`). */
  async readLegacyRecords(origin: string): Promise<Array<Record<string, unknown>>> {
    return this.#session.rows<Record<string, unknown>>(`SELECT * FROM ${origin.split('.').map(quoteIdentifier).join('.')}`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const released = await this.lock.dispose();
    // A chained transaction left open must not go back with the connection (to a pool, or its owner).
    const settled = await this.#session.settle().then(
      () => true,
      () => false,
    );
    const broken = !released || !settled || this.#session.lostCause !== undefined;
    this.#session.detach();
    await giveBack(this.#source, broken);
  }
}

/** One statement on the connection Mongock opened: the session's lock and statement timeouts. */
async function applyTimeouts(session: MysqlSession, options: MysqlDriverOptions): Promise<void> {
  const lockMs = options.lockWaitTimeoutMs ?? DEFAULT_LOCK_WAIT_TIMEOUT_MS;
  const lockS = lockMs === 0 ? LONGEST_LOCK_WAIT_S : Math.min(LONGEST_LOCK_WAIT_S, Math.ceil(lockMs / 1000));
  const statementMs = options.statementTimeoutMs ?? 0;
  const statement = session.mariadb ? 'max_statement_time = ?' : 'max_execution_time = ?';
  await session.run(`SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?, ${statement}`, [
    lockS,
    lockS,
    session.mariadb ? statementMs / 1000 : statementMs,
  ]);
}

async function obtain(options: MysqlDriverOptions): Promise<Source> {
  if (options.uri !== undefined) {
    const mysql = loadMysql2();
    try {
      return { kind: 'uri', connection: await mysql.createConnection(options.uri) };
    } catch (cause) {
      throw connectError(cause);
    }
  }
  if (options.pool !== undefined) {
    const pool = promised(options.pool);
    try {
      return { kind: 'pool', connection: await pool.getConnection() };
    } catch (cause) {
      throw connectError(cause);
    }
  }
  return { kind: 'connection', connection: promised(options.connection!) };
}

/** The promise view of a callback-style mysql2 object. */
function promised<T extends object>(value: T | MysqlPromisable<T>): T {
  return typeof (value as Partial<MysqlPromisable<T>>).promise === 'function' ? (value as MysqlPromisable<T>).promise() : (value as T);
}

/** Ends, returns or leaves the connection according to who owns it; a broken one never goes back to a pool. */
async function giveBack(source: Source, broken: boolean): Promise<void> {
  if (source.kind === 'pool') {
    if (broken) source.connection.destroy();
    else source.connection.release();
  } else if (source.kind === 'uri') {
    if (broken) {
      source.connection.destroy();
      return;
    }
    await source.connection.end().catch(() => source.connection.destroy());
  }
}
