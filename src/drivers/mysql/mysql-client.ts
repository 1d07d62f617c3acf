import { MongockError } from '../../errors/mongock-error.ts';
import { optionalPackage } from '../shared/optional-package.ts';

/**
 * The `query` options of mysql2 that Mongock sets (a subset of mysql2's `QueryOptions`; Mongock
 * also sets `typeCast: true` on its own statements, left out here so that mysql2's wider
 * `TypeCast` type still fits).
 */
export type MysqlQueryOptions = {
  readonly sql: string;
  readonly values?: unknown;
  readonly rowsAsArray?: boolean;
  readonly nestTables?: boolean;
};

/**
 * The parts of a mysql2 promise connection the driver uses (typed structurally, as Kysely does,
 * so that any mysql2 3.x `Connection` or `PoolConnection` from `mysql2/promise` fits).
 */
export interface MysqlConnection {
  query(options: MysqlQueryOptions): Promise<[unknown, unknown]>;
  on(event: 'error' | 'end', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'error' | 'end', listener: (...args: unknown[]) => void): unknown;
}

/** A mysql2 promise connection Mongock opened itself (from a URI) and ends. */
export interface MysqlOwnedConnection extends MysqlConnection {
  end(): Promise<void>;
  destroy(): void;
}

/** A connection lent by a mysql2 promise pool; given back (or destroyed) when the run ends. */
export interface MysqlPoolConnection extends MysqlConnection {
  release(): void;
  destroy(): void;
}

/** The part of a mysql2 promise `Pool` the driver uses. */
export interface MysqlPool {
  getConnection(): Promise<MysqlPoolConnection>;
}

/** A callback-style mysql2 object (`mysql.createPool()` from `mysql2`); Mongock uses its `.promise()` view. */
export interface MysqlPromisable<T> {
  promise(): T;
}

/** What `ResultSetHeader` tells about a statement that returns no rows. */
export interface MysqlResultHeader {
  readonly affectedRows: number;
  readonly insertId: number;
  readonly warningStatus: number;
  /** Protocol status flags; bit 0 (`SERVER_STATUS_IN_TRANS`) says whether a transaction is open. */
  readonly serverStatus?: number;
}

/** `SERVER_STATUS_IN_TRANS` from the MySQL client/server protocol. */
export const SERVER_STATUS_IN_TRANS = 1;

interface Mysql2Promise {
  createConnection(config: string | Record<string, unknown>): Promise<MysqlOwnedConnection>;
}

/** Loads `mysql2/promise` only when the MySQL driver opens a URI, with an install hint when missing. */
export const loadMysql2 = optionalPackage<Mysql2Promise>({
  specifier: 'mysql2/promise',
  needs: "The MySQL/MariaDB driver needs the 'mysql2' package",
  install: 'mysql2',
  pick: (module) => module as Mysql2Promise,
});

/** The numeric server error (`errno`) or Node's error code of a mysql2 failure. */
export function errorCode(error: unknown): { errno: number | undefined; code: string | undefined } {
  const value = error as { errno?: unknown; code?: unknown } | null;
  return {
    errno: typeof value?.errno === 'number' ? value.errno : undefined,
    code: typeof value?.code === 'string' ? value.code : undefined,
  };
}

/** Server error numbers the driver reacts to (see the MariaDB/MySQL error reference). */
export const ER = Object.freeze({
  DBACCESS_DENIED: 1044,
  ACCESS_DENIED: 1045,
  NO_DB: 1046,
  BAD_DB: 1049,
  TABLEACCESS_DENIED: 1142,
  NO_SUCH_TABLE: 1146,
  DATA_TOO_LONG: 1406,
  /** InnoDB row locks (`innodb_lock_wait_timeout`) and metadata locks (`lock_wait_timeout`). */
  LOCK_WAIT_TIMEOUT: 1205,
  /** MariaDB's `max_statement_time`. */
  STATEMENT_TIMEOUT: 1969,
  /** MySQL's `max_execution_time`. */
  QUERY_TIMEOUT: 3024,
});

/**
 * A statement the server cancelled because of a timeout the driver set on its session
 * (mysqlDriver's `lockWaitTimeoutMs` / `statementTimeoutMs`) as a `STATEMENT_TIMEOUT` that says
 * which and what to do; undefined for any other error.
 */
export function timeoutError(error: unknown): MongockError | undefined {
  const { errno } = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (errno === ER.LOCK_WAIT_TIMEOUT) {
    return new MongockError(
      'STATEMENT_TIMEOUT',
      `MySQL/MariaDB cancelled a statement that waited too long for a lock (${message}; lock_wait_timeout / innodb_lock_wait_timeout, mysqlDriver's lockWaitTimeoutMs). ` +
        'Another session holds a table or row lock it needs (a long or forgotten transaction: see SHOW PROCESSLIST and information_schema.innodb_trx): end it, or raise lockWaitTimeoutMs.',
      { cause: error },
    );
  }
  if (errno === ER.STATEMENT_TIMEOUT || errno === ER.QUERY_TIMEOUT) {
    return new MongockError(
      'STATEMENT_TIMEOUT',
      `MySQL/MariaDB cancelled a statement that ran too long (${message}; max_statement_time / max_execution_time, mysqlDriver's statementTimeoutMs). Make the statement faster, or raise statementTimeoutMs (0: no limit).`,
      { cause: error },
    );
  }
  return undefined;
}

/** Turns a failure to open a connection into an error that says what to fix. Never prints the URI (it may hold a password). */
export function connectError(cause: unknown): MongockError {
  const { errno, code } = errorCode(cause);
  const message = cause instanceof Error ? cause.message : String(cause);
  const where = describeAddress(cause);
  let advice: string;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN') {
    advice = `Cannot reach the MySQL/MariaDB server${where} (${code}). Check that it is running and that the host and port are right.`;
  } else if (errno === ER.ACCESS_DENIED) {
    advice = `The MySQL/MariaDB server refused the login (${message}). Check the user name and password.`;
  } else if (errno === ER.BAD_DB) {
    advice = `${message}: the database does not exist. Create it (CREATE DATABASE ...) or fix the database name in the URI/options; Mongock creates its tables but not the database.`;
  } else if (errno === ER.DBACCESS_DENIED) {
    advice = `${message}. Grant the user access to that database (GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON <db>.* TO <user>), or use another database.`;
  } else {
    advice = `Cannot connect to MySQL/MariaDB${where}: ${message}.`;
  }
  return new MongockError('DRIVER_ERROR', advice, { cause });
}

function describeAddress(cause: unknown): string {
  const value = cause as { address?: unknown; port?: unknown; hostname?: unknown } | null;
  const host = typeof value?.address === 'string' ? value.address : typeof value?.hostname === 'string' ? value.hostname : undefined;
  if (host === undefined) return '';
  return typeof value?.port === 'number' ? ` at ${host}:${value.port}` : ` at ${host}`;
}
