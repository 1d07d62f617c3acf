import { leaseLostError } from '../../errors/error-builders.ts';
import { MongockError } from '../../errors/mongock-error.ts';
import { type BatchCheckpoint, checkpointStoreName } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import type { Driver, DriverCapabilities, DriverConnection, DriverContext, DriverSettings, LockLease, Scope, ScopeOptions } from '../driver.ts';
import { defineDriver } from '../shared/define-driver.ts';
import { checkDriverOptions, type DriverOptionSpec } from '../shared/driver-options.ts';
import { sqlTableName } from '../shared/sql-table-name.ts';
import { PostgresCheckpoints } from './postgres-checkpoints.ts';
import { connectError, describeTarget, loadPgClient, type PostgresClient, type PostgresPool } from './postgres-client.ts';
import { GuardedPostgresHandle, type PostgresChangeContext } from './postgres-context.ts';
import { PostgresHistory } from './postgres-history.ts';
import { LOCK_NAME, PostgresLock } from './postgres-lock.ts';
import { PostgresSession } from './postgres-session.ts';
import { advisoryKey, quoteIdentifier, sqlState } from './postgres-sql.ts';

/** How long Mongock waits for a connection it opens itself (`connectionString`). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;

/**
 * How long a statement on the connection Mongock opens may wait for a lock (`lock_timeout`):
 * a change blocked behind another session's long transaction fails with `STATEMENT_TIMEOUT`
 * instead of waiting (and holding Mongock's lock) for ever.
 */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/**
 * Where the PostgreSQL driver connects: exactly one of `connectionString`, `pool` or `client`.
 * Whichever it is, each run uses ONE connection for everything (the session advisory lock, the
 * history, the change units), so that losing it loses the lock and the work together.
 */
export interface PostgresDriverOptions {
  /** e.g. `postgres://user:password@host:5432/app`. Mongock opens one `pg.Client` per run and closes it. */
  readonly connectionString?: string;
  /** A `pg.Pool`: one client is checked out for the run and given back afterwards (the pool is not ended). */
  readonly pool?: PostgresPool;
  /** A connected `pg.Client`, used as is and left open (its session holds the lock during the run). */
  readonly client?: PostgresClient;
  /**
   * The schema of Mongock's own tables (history and lock); it must exist. Defaults to the
   * connection's `current_schema()`. Change units are not affected: they see the connection's
   * `search_path`.
   */
  readonly schema?: string;
  /** With `connectionString`: how long to wait for the server. Default {@link DEFAULT_CONNECTION_TIMEOUT_MS}. */
  readonly connectionTimeoutMs?: number;
  /**
   * With `connectionString`: the session's `lock_timeout`, how long any statement (a change's or
   * Mongock's own) waits for a lock before failing with `STATEMENT_TIMEOUT`. Default
   * {@link DEFAULT_LOCK_TIMEOUT_MS}; 0: no limit. With `pool`/`client`, set `lock_timeout` in their config.
   */
  readonly lockTimeoutMs?: number;
  /**
   * With `connectionString`: the session's `statement_timeout`, how long one statement may run
   * before failing with `STATEMENT_TIMEOUT`. Default 0 (no limit: a long data migration is not
   * stopped by surprise). With `pool`/`client`, set `statement_timeout` in their config.
   */
  readonly statementTimeoutMs?: number;
}

const OPTION_SPEC = Object.freeze<DriverOptionSpec<PostgresDriverOptions>>({
  factory: 'postgresDriver',
  keys: ['connectionString', 'pool', 'client', 'schema', 'connectionTimeoutMs', 'lockTimeoutMs', 'statementTimeoutMs'],
  sources: ['connectionString', 'pool', 'client'],
  sourcesMessage:
    'postgresDriver needs exactly one of { connectionString } (e.g. postgres://user:password@host:5432/db), { pool } (a pg.Pool) or { client } (a connected pg.Client).',
  nonEmptyStrings: {
    connectionString: 'postgresDriver: connectionString must be a non-empty string such as postgres://user:password@host:5432/db.',
    schema: 'postgresDriver: schema must be a non-empty string (the name of an existing schema), or left out.',
  },
  timeouts: ['connectionTimeoutMs', 'lockTimeoutMs', 'statementTimeoutMs'],
  ownConnectionOnly: {
    source: 'connectionString',
    timeouts: ['lockTimeoutMs', 'statementTimeoutMs'],
    message: (key: string) => {
      const setting = key === 'lockTimeoutMs' ? 'lock_timeout' : 'statement_timeout';
      return `postgresDriver: ${key} applies to the connection Mongock opens from connectionString; with a pool or client, set ${setting} in its own config (new pg.Pool({ ${setting}: ... })).`;
    },
  },
});

const CAPABILITIES: DriverCapabilities = Object.freeze({ transactions: true, lease: false, transactionalDdl: true, legacyImport: true });

/**
 * The PostgreSQL driver (on `pg`). Each change unit and its history entry commit in one
 * transaction, DDL included; `transactional: false` units (e.g. `CREATE INDEX CONCURRENTLY`)
 * run outside a transaction, still under the lock. The lock is a session advisory lock held by
 * the run's dedicated connection: a holder that dies releases it with its connection, and a
 * run whose connection is lost stops with `LOCK_LOST`.
 *
 * Tables: the defaults `mongockChangeLog` / `mongockLock` become `mongock_change_log` /
 * `mongock_lock`; other names are used verbatim. See docs/postgres.md.
 *
 * @example
 * ```ts
 * import { MongockBuilder } from 'mongock';
 * import { postgresDriver } from 'mongock/postgres';
 *
 * await new MongockBuilder()
 *   .setDriver(postgresDriver({ connectionString: process.env.DATABASE_URL, schema: 'public' }))
 *   .addMigrationScanPath('./migrations')
 *   .buildRunner()
 *   .execute();
 * ```
 */
export function postgresDriver(options: PostgresDriverOptions): Driver<PostgresChangeContext> {
  return defineDriver('postgres', CAPABILITIES, checkDriverOptions(options, OPTION_SPEC), PostgresDriverConnection.open);
}

class PostgresDriverConnection implements DriverConnection<PostgresChangeContext> {
  readonly capabilities = CAPABILITIES;
  readonly lock: PostgresLock;
  readonly #session: PostgresSession;
  readonly #history: PostgresHistory;
  readonly checkpoints: PostgresCheckpoints;

  static async open(options: PostgresDriverOptions, settings: DriverSettings): Promise<PostgresDriverConnection> {
    const session = await openSession(options);
    try {
      const history = sqlTableName(settings.migrationRepositoryName);
      const lock = sqlTableName(settings.lockRepositoryName);
      const found = await resolveSchema(session, options.schema, history, lock);
      return new PostgresDriverConnection(session, found, history, lock);
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  /**
   * The last history read and the lock row as that same statement saw it: when this connection is
   * then granted the very next fence, and the lock was free at that read, nobody held the lock in
   * between, so nobody wrote history (every history write happens under the lock) and the read
   * is still the truth. The runner's re-read under the lock is then answered from memory.
   */
  #lastRead: { readonly entries: ChangeEntry[]; readonly fence: number; readonly free: boolean } | undefined;

  private constructor(session: PostgresSession, found: FoundSchema, historyTable: string, lockTable: string) {
    this.#session = session;
    this.#history = new PostgresHistory(session, found.schema, historyTable, found.historyExists);
    this.checkpoints = new PostgresCheckpoints(session, found.schema, checkpointStoreName(historyTable));
    this.lock = new PostgresLock(session, found.schema, lockTable, advisoryKey(found.schema, lockTable), found.lockExists);
  }

  async readHistory(): Promise<ChangeEntry[]> {
    const last = this.#lastRead;
    const granted = this.lock.grantedFence;
    if (last?.free && granted !== undefined && granted === last.fence + 1) return last.entries;
    const read = await this.#history.read(this.lock.exists ? this.lock.qualifiedName : undefined);
    this.#lastRead = granted === undefined ? read : undefined;
    return read.entries;
  }

  async prepareHistory(): Promise<void> {
    await this.#history.create();
  }

  async now(): Promise<Date> {
    const { rows } = await this.#session.query<{ ms: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms');
    return new Date(Math.round(Number(rows[0]!.ms)));
  }

  async runInScope<T>(options: ScopeOptions, work: (scope: Scope<PostgresChangeContext>) => Promise<T>): Promise<T> {
    const context: DriverContext<PostgresChangeContext> = { sql: new GuardedPostgresHandle(this.#session, options.guard), client: this.#session.client };
    if (!options.transactional) {
      // The unit's statements commit one by one; its entry (one statement, atomic) only while the lock is ours.
      return work({
        context,
        saveEntry: async (entry) => {
          this.#fence(options.lease);
          await this.#save(entry);
        },
        saveCheckpoint: async (checkpoint) => {
          this.#fence(options.lease);
          await this.checkpoints.save(checkpoint);
        },
      });
    }
    // Entries and checkpoints are written with the COMMIT, in one simple query: a unit costs
    // BEGIN, its own statements and the COMMIT's query; a batch what a hand-written loop pays.
    const entries: NewChangeEntry[] = [];
    const pending: BatchCheckpoint[] = [];
    return this.#inTransaction(
      options.lease,
      () =>
        work({
          context,
          saveEntry: async (entry) => {
            this.#lastRead = undefined;
            entries.push(entry);
          },
          saveCheckpoint: async (checkpoint) => void pending.push(checkpoint),
        }),
      () => options.guard.ensure(),
      () => [...(entries.length === 0 ? [] : [this.#history.upsertText(entries)]), ...pending.map((checkpoint) => this.checkpoints.upsertText(checkpoint))],
    );
  }

  /** Another tool's history table (`table` or `schema.table`; unqualified, as the connection's search_path finds it). */
  async readLegacyRecords(origin: string): Promise<Array<Record<string, unknown>>> {
    const { rows } = await this.#session.query<Record<string, unknown>>(`SELECT * FROM ${origin.split('.').map(quoteIdentifier).join('.')}`);
    return rows;
  }

  async #save(entry: NewChangeEntry): Promise<void> {
    this.#lastRead = undefined;
    await this.#history.save(entry);
  }

  async close(): Promise<void> {
    // The runner always releases; a lock still held here (a caller that forgot) must not stay
    // with a pooled or user's connection: release it, or destroy a pooled one rather than give it back.
    const released = await this.lock.abandon();
    await this.#session.close(!released);
  }

  /** BEGIN … the work … COMMIT (fenced), rolling back on any error. `withCommit`: statements sent in the COMMIT's query, before it. */
  async #inTransaction<T>(lease: LockLease, work: () => Promise<T>, beforeCommit?: () => Promise<void>, withCommit?: () => string[]): Promise<T> {
    const session = this.#session;
    await session.query('BEGIN');
    try {
      const result = await work();
      await beforeCommit?.();
      this.#fence(lease);
      // One simple query: a failing statement before COMMIT stops the query there, and the catch rolls back.
      const commit = await session.query([...(withCommit?.() ?? []), 'COMMIT'].join(';\n'));
      // COMMIT of a transaction that an error aborted is answered with ROLLBACK, not an error.
      if (commit.command === 'ROLLBACK') throw abortedTransaction();
      return result;
    } catch (error) {
      if (session.alive) await session.query('ROLLBACK').catch(() => undefined);
      // "current transaction is aborted": the real cause is an earlier error the change swallowed.
      throw sqlState(error) === '25P02' ? abortedTransaction(error) : (this.checkpoints.lostStatement(error) ?? error);
    }
  }

  /**
   * Fencing without a round trip. The lock is a session advisory lock on this very connection,
   * and only this connection's own unlock or the end of its session releases it. The first is
   * ours (release) and is tracked in memory; the second rolls back any open transaction, so a
   * COMMIT that succeeds was made by a session that still held the lock. Asking `pg_locks`
   * before each commit (as earlier versions did) could only repeat what the session knows.
   */
  #fence(lease: LockLease): void {
    if (!this.lock.owns(lease) || !this.#session.alive) throw leaseLostError(lease, LOCK_NAME);
  }
}

function abortedTransaction(cause?: unknown): Error {
  return new Error(
    "The change's transaction was aborted by an earlier SQL error that the change caught, so PostgreSQL ignored every later statement; " +
      'everything was rolled back. Let the error propagate, or run the statement that may fail inside a SAVEPOINT.',
    { cause },
  );
}

async function openSession(options: PostgresDriverOptions): Promise<PostgresSession> {
  const target = describeTarget(options.connectionString);
  if (options.client !== undefined) return new PostgresSession(options.client, async () => {}, false);
  if (options.pool !== undefined) {
    const pool = options.pool;
    let client: Awaited<ReturnType<PostgresPool['connect']>>;
    try {
      client = await pool.connect();
    } catch (error) {
      throw connectError(error, target);
    }
    return new PostgresSession(client, async (broken) => client.release(broken ? true : undefined), false);
  }
  const Client = loadPgClient();
  const client = new Client({
    connectionString: options.connectionString!,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    application_name: 'mongock',
    lock_timeout: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs ?? 0,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, target);
  }
  return new PostgresSession(
    client,
    async () => {
      await client.end().catch(() => undefined);
    },
    true,
  );
}

interface FoundSchema {
  readonly schema: string;
  readonly historyExists: boolean;
  readonly lockExists: boolean;
}

/**
 * The schema of Mongock's tables: it must exist and be usable, or the run stops before anything.
 * The same statement says whether the history and lock tables exist (tables are never dropped
 * by Mongock, so a table seen once stays known for the run): no catalogue query follows.
 */
async function resolveSchema(session: PostgresSession, wanted: string | undefined, history: string, lock: string): Promise<FoundSchema> {
  const { rows } = await session.query<{
    wanted: string | null;
    found: string | null;
    usable: boolean | null;
    database: string;
    role: string;
    history_exists: boolean | null;
    lock_exists: boolean | null;
  }>(
    `SELECT s.*,
            CASE WHEN s.usable THEN to_regclass(format('%I.%I', s.wanted, $2::text)) IS NOT NULL END AS history_exists,
            CASE WHEN s.usable THEN to_regclass(format('%I.%I', s.wanted, $3::text)) IS NOT NULL END AS lock_exists
       FROM (SELECT w.wanted, n.nspname AS found, CASE WHEN n.oid IS NULL THEN NULL ELSE has_schema_privilege(n.oid, 'USAGE') END AS usable,
                    current_database() AS database, current_user AS role
               FROM (SELECT coalesce($1::text, current_schema()) AS wanted) AS w
               LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = w.wanted) AS s`,
    [wanted ?? null, history, lock],
  );
  const row = rows[0]!;
  if (row.wanted === null) {
    throw new MongockError(
      'DRIVER_ERROR',
      `The connection's search_path names no existing schema in database "${row.database}", so Mongock does not know where to keep its tables. Pass postgresDriver({ schema: '...' }) or fix the search_path. Nothing was changed.`,
    );
  }
  if (row.found === null) {
    throw new MongockError(
      'DRIVER_ERROR',
      `Schema "${row.wanted}" does not exist in database "${row.database}". Create it (CREATE SCHEMA ${quoteIdentifier(row.wanted)};) or fix the schema option of postgresDriver. Nothing was changed.`,
    );
  }
  if (row.usable !== true) {
    throw new MongockError(
      'DRIVER_ERROR',
      `Role "${row.role}" may not use schema "${row.wanted}" in database "${row.database}". Grant it (GRANT USAGE ON SCHEMA ${quoteIdentifier(row.wanted)} TO ${quoteIdentifier(row.role)};) or choose another schema. Nothing was changed.`,
    );
  }
  return { schema: row.wanted, historyExists: row.history_exists === true, lockExists: row.lock_exists === true };
}
