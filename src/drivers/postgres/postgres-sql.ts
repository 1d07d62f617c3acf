import { createHash } from 'node:crypto';
import { MongockError } from '../../errors/mongock-error.ts';

/** Quotes an identifier for PostgreSQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A value as SQL literal text, for the one statement the driver sends without parameters (a
 * checkpoint folded into its COMMIT): strings as pg's `escapeLiteral` writes them (quotes doubled;
 * with a backslash, an `E''` string with backslashes doubled), so the text reads the same
 * whatever `standard_conforming_strings` says; times as ISO-8601 text.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`Cannot write ${value} as a SQL literal.`);
    return String(value);
  }
  const text = value instanceof Date ? value.toISOString() : String(value);
  const escaped = `'${text.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  return text.includes('\\') ? `E${escaped}` : escaped;
}

/** `"schema"."table"`. */
export function qualify(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

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
