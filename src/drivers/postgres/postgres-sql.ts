import { createHash } from 'node:crypto';
import { MongockError } from '../../errors/mongock-error.ts';
import { DEFAULT_MIGRATION_REPOSITORY_NAME } from '../../history/change-entry.ts';
import { DEFAULT_LOCK_REPOSITORY_NAME } from '../../lock/lock-config.ts';

/** Quotes an identifier for PostgreSQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`. */
export function qualify(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/**
 * Mongock's default repository names are camelCase (a MongoDB habit); in PostgreSQL they would
 * need quoting in every hand-written query, so the defaults become snake_case tables. Any other
 * name is used exactly as given (quoted).
 */
export function tableName(repositoryName: string): string {
  if (repositoryName === DEFAULT_MIGRATION_REPOSITORY_NAME) return 'mongock_change_log';
  if (repositoryName === DEFAULT_LOCK_REPOSITORY_NAME) return 'mongock_lock';
  return repositoryName;
}

/** The single lock row's key, as Java Mongock's `DEFAULT_KEY`. */

/**
 * The advisory-lock key of one lock table: a stable 64-bit hash of its qualified name, so two
 * schemas (two applications in one database) never block each other. `classid`/`objid` are how
 * `pg_locks` shows a single-bigint advisory key (high and low 32 bits, `objsubid` = 1).
 */
export interface AdvisoryKey {
  readonly key: string;
  readonly classid: string;
  readonly objid: string;
}

export function advisoryKey(schema: string, lockTable: string): AdvisoryKey {
  const digest = createHash('sha256').update(`mongock:${schema}.${lockTable}`).digest();
  const unsigned = digest.readBigUInt64BE(0);
  return {
    key: BigInt.asIntN(64, unsigned).toString(),
    classid: (unsigned >> 32n).toString(),
    objid: (unsigned & 0xffffffffn).toString(),
  };
}

/**
 * SQL selecting the pid of the session that holds the advisory lock whose `pg_locks` ids are
 * `$1` (classid) and `$2` (objid) in this database, optionally only when it is `pid`.
 */
export function advisoryHolderSql(pid?: string): string {
  return `SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
     AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
     AND classid::bigint = $1::bigint AND objid::bigint = $2::bigint${pid === undefined ? '' : ` AND pid = ${pid}`}`;
}

/** The SQLSTATE of a `pg` error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when `error` means the session itself is gone (connection class 08, operator
 * intervention 57P0x such as `pg_terminate_backend`, or a socket that closed): the server has
 * then released the session's advisory lock.
 */
export function isSessionFatal(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined && (code.startsWith('08') || code.startsWith('57P0') || code === 'ECONNRESET' || code === 'EPIPE')) return true;
  // A server error (a five-character SQLSTATE) is about the statement, whatever its text says.
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return false;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|not queryable|connection error/i.test(message);
}

/** Where a connection string points, without credentials, for messages. */
export function describeTarget(connectionString: string | undefined): string {
  if (connectionString === undefined) return 'PostgreSQL';
  try {
    const url = new URL(connectionString);
    const database = url.pathname.replace(/^\//, '');
    return `PostgreSQL at ${url.hostname || 'localhost'}:${url.port || '5432'}${database === '' ? '' : `/${database}`}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** Turns a failure to connect into an error that says what to check. */
export function connectError(error: unknown, target: string): MongockError {
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  let hint: string;
  if (code === 'ECONNREFUSED') hint = 'the connection was refused. Check that the server is running and that host and port are right.';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') hint = 'the host name does not resolve. Check the host in the connection string.';
  else if (code === 'ETIMEDOUT' || /timeout/i.test(message)) hint = 'the connection timed out. Check host, port and firewalls, or raise connectionTimeoutMs.';
  else if (code === '28P01' || code === '28000')
    hint = `the server refused the credentials (${message}). Check the user name and password in the connection string.`;
  else if (code === '3D000') hint = `${message}. Create the database or fix its name in the connection string.`;
  else hint = `${message}.`;
  return new MongockError('DRIVER_ERROR', `Cannot connect to ${target}: ${hint}`, { cause: error });
}

/** Turns a refused CREATE TABLE into an error that says how to grant or pre-create. */
export function createTableError(error: unknown, table: string, what: string): unknown {
  const code = sqlState(error);
  if (code !== '42501') return error;
  return new MongockError(
    'DRIVER_ERROR',
    `Cannot create the ${what} table ${table}: ${(error as Error).message}. Nothing was changed. Grant the role CREATE on the schema ` +
      '(GRANT CREATE ON SCHEMA ... TO ...), or have an administrator create the tables once (DDL in docs/postgres.md) and grant the role SELECT, INSERT, UPDATE on them.',
    { cause: error },
  );
}

/**
 * A statement the server cancelled because of the session's `lock_timeout` or
 * `statement_timeout` (set by postgresDriver's `lockTimeoutMs` / `statementTimeoutMs`) as a
 * `STATEMENT_TIMEOUT` that says which and what to do; undefined for any other error.
 */
export function timeoutError(error: unknown): MongockError | undefined {
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === '55P03' && /lock timeout/i.test(message)) {
    return new MongockError(
      'STATEMENT_TIMEOUT',
      `PostgreSQL cancelled a statement that waited too long for a lock (${message}; lock_timeout, postgresDriver's lockTimeoutMs). ` +
        'Another session holds a lock it needs (a long or idle-in-transaction session: see pg_stat_activity and pg_locks): end that session, or raise lockTimeoutMs.',
      { cause: error },
    );
  }
  if (code === '57014' && /statement timeout/i.test(message)) {
    return new MongockError(
      'STATEMENT_TIMEOUT',
      `PostgreSQL cancelled a statement that ran too long (${message}; statement_timeout, postgresDriver's statementTimeoutMs). Make the statement faster (an index, smaller batches), or raise statementTimeoutMs (0: no limit).`,
      { cause: error },
    );
  }
  return undefined;
}
