import { createHash } from 'node:crypto';

/** Quotes an identifier for MySQL/MariaDB. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** A Date as a UTC `DATETIME(3)` literal: the session's `time_zone` never shifts stored times. */
export function toDatetime(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/** Reads a `DATETIME(3)` selected as `CAST(column AS CHAR)` (UTC by {@link toDatetime}). */
export function fromDatetime(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
}

/** MySQL 5.7+ refuses lock names longer than 64 characters. */
const MAX_LOCK_NAME = 64;

/**
 * The `GET_LOCK` name: lock names are server-wide, so it names the database and the lock table;
 * a long name is replaced by a digest that stays stable across processes.
 */
export function lockName(database: string, table: string): string {
  const readable = `mongock:${database}.${table}`;
  if (readable.length <= MAX_LOCK_NAME) return readable;
  return `mongock:${createHash('sha256')
    .update(`${database}.${table}`)
    .digest('hex')
    .slice(0, MAX_LOCK_NAME - 8)}`;
}

/**
 * Statements MySQL/MariaDB commit implicitly (the documented "Statements That Cause an Implicit
 * Commit", by leading keyword), except temporary tables, which do not commit.
 */
const IMPLICIT_COMMIT =
  /^(ALTER|CREATE|DROP|RENAME|TRUNCATE|GRANT|REVOKE|LOCK|UNLOCK|BEGIN|START|COMMIT|ANALYZE|OPTIMIZE|REPAIR|FLUSH|RESET|INSTALL|UNINSTALL|LOAD\s+INDEX|CACHE\s+INDEX)\b/i;
const TEMPORARY = /^(CREATE|DROP)\s+TEMPORARY\b/i;
const ROLLBACK = /^ROLLBACK\b(?!\s+(WORK\s+)?TO\b)/i;

/**
 * The leading keyword of `sql` when the statement would end the current transaction (DDL,
 * account management, transaction control), or null. Comments and whitespace are skipped.
 */
export function implicitCommitKeyword(sql: string): string | null {
  const statement = stripLeadingComments(sql);
  if (TEMPORARY.test(statement)) return null;
  const match = IMPLICIT_COMMIT.exec(statement) ?? ROLLBACK.exec(statement);
  return match === null ? null : match[0].toUpperCase().replace(/\s+/g, ' ');
}

function stripLeadingComments(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.replace(/^[\s(;]+/, '');
    if (trimmed.startsWith('/*') && !trimmed.startsWith('/*!')) {
      const end = trimmed.indexOf('*/');
      rest = end === -1 ? '' : trimmed.slice(end + 2);
    } else if (trimmed.startsWith('-- ') || trimmed.startsWith('#')) {
      const end = trimmed.indexOf('\n');
      rest = end === -1 ? '' : trimmed.slice(end + 1);
    } else {
      return trimmed;
    }
  }
}

/** The first characters of a statement, for messages. */
export function preview(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
