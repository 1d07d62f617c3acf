import { MongockError } from '../../errors/mongock-error.ts';
import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import { normaliseEntry } from '../../history/is-executed.ts';

/** A SQL history table's columns: Mongock's fields in snake_case, in one order for every driver. */
export const HISTORY_COLUMNS = [
  'execution_id',
  'change_id',
  'author',
  'timestamp',
  'state',
  'type',
  'change_log_class',
  'change_set_method',
  'metadata',
  'execution_millis',
  'execution_hostname',
  'error_trace',
  'system_change',
  'checksum',
] as const;

/** The name of one history column in the SQL drivers' tables. */
export type HistoryColumn = (typeof HISTORY_COLUMNS)[number];

/** A history row as a SQL client returns it; the columns whose type differs per database are `unknown`. */
export interface HistoryRow {
  readonly execution_id: string;
  readonly change_id: string;
  readonly author: string;
  readonly state: string;
  readonly type: string;
  readonly change_log_class: string | null;
  readonly change_set_method: string | null;
  /** JSON: parsed by the client, or text (MariaDB's LONGTEXT, a pool with custom type parsers). */
  readonly metadata: unknown;
  readonly execution_millis: number | string;
  readonly execution_hostname: string | null;
  readonly error_trace: string | null;
  readonly system_change: unknown;
  readonly checksum: string | null;
}

/** How one database stores the columns whose SQL types differ: each driver passes its own. */
export interface RowConverters {
  /** An entry's timestamp as the driver binds it (a Date, ISO text, a DATETIME string...). */
  readonly timestamp: (value: Date) => unknown;
  /** `system_change` as the driver binds it (a boolean, 0/1...). */
  readonly systemChange: (value: boolean) => unknown;
}

/**
 * A row's `metadata` as an object (or null). Text that is not a JSON object (a hand edit, a
 * truncated write) is a `CORRUPT_RECORD` naming the table and the row, never a raw SyntaxError.
 */
export function historyMetadata(value: unknown, row: Pick<HistoryRow, 'change_id' | 'execution_id' | 'author'>, table: string): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : typeof value;
  throw new MongockError(
    'CORRUPT_RECORD',
    `The history table ${table} holds a row Mongock cannot read: change '${row.change_id}' by '${row.author}' (execution_id '${row.execution_id}') has metadata that is not a JSON object (${shown}). Nothing was run. ` +
      `Fix that row's metadata, or set it to NULL: UPDATE ${table} SET metadata = NULL WHERE execution_id = '${row.execution_id}' AND change_id = '${row.change_id}'.`,
    { changeId: row.change_id, author: row.author },
  );
}

/**
 * A row read back as an entry; `timestamp` and `systemChange` already converted by the driver.
 * `table` (as messages name it) is what a `CORRUPT_RECORD` about the row says.
 *
 * @example Reading a SQL driver's history rows back as entries.
 * ```ts
 * import { type ChangeEntry, entryFromRow, type HistoryRow } from 'mongock/driver';
 *
 * declare function selectHistory(): Promise<Array<HistoryRow & { timestamp: string; system_change: number }>>;
 *
 * async function readHistory(): Promise<ChangeEntry[]> {
 *   const rows = await selectHistory();
 *   return rows.map((row) => entryFromRow(row, new Date(row.timestamp), row.system_change === 1, 'my_change_log'));
 * }
 * ```
 */
export function entryFromRow(row: HistoryRow, timestamp: Date, systemChange: boolean, table = 'of Mongock'): ChangeEntry {
  return normaliseEntry({
    executionId: row.execution_id,
    changeId: row.change_id,
    author: row.author,
    timestamp,
    state: row.state,
    type: row.type,
    changeLogClass: row.change_log_class,
    changeSetMethod: row.change_set_method,
    metadata: historyMetadata(row.metadata, row, table),
    executionMillis: Number(row.execution_millis),
    executionHostname: row.execution_hostname,
    errorTrace: row.error_trace,
    systemChange,
    checksum: row.checksum,
  });
}

/**
 * An entry as the values of {@link HISTORY_COLUMNS}, through the driver's converters. Without a
 * timestamp, `timestamp` is null: the driver's SQL then stamps the database's clock.
 *
 * @example Named parameters for an `INSERT` of the history columns.
 * ```ts
 * import { HISTORY_COLUMNS, rowValues } from 'mongock/driver';
 *
 * function insertStatement(entry: Parameters<typeof rowValues>[0]) {
 *   const values = rowValues(entry, { timestamp: (date) => date.toISOString(), systemChange: (flag) => (flag ? 1 : 0) });
 *   const text = `INSERT INTO my_change_log (${HISTORY_COLUMNS.join(', ')}) VALUES (${HISTORY_COLUMNS.map((column) => `:${column}`).join(', ')})`;
 *   return { text, values };
 * }
 * ```
 */
export function rowValues(entry: NewChangeEntry, convert: RowConverters): Record<HistoryColumn, unknown> {
  return {
    execution_id: entry.executionId,
    change_id: entry.changeId,
    author: entry.author,
    timestamp: entry.timestamp === undefined ? null : convert.timestamp(entry.timestamp),
    state: entry.state,
    type: entry.type,
    change_log_class: entry.changeLogClass,
    change_set_method: entry.changeSetMethod,
    metadata: entry.metadata === null ? null : JSON.stringify(entry.metadata),
    execution_millis: Math.round(entry.executionMillis),
    execution_hostname: entry.executionHostname,
    error_trace: entry.errorTrace,
    system_change: convert.systemChange(entry.systemChange),
    checksum: entry.checksum ?? null,
  };
}

/**
 * The values in column order, for positional parameters.
 *
 * @example PostgreSQL-style placeholders (`$1`, `$2`…) in {@link HISTORY_COLUMNS} order.
 * ```ts
 * import { HISTORY_COLUMNS, rowParameters } from 'mongock/driver';
 *
 * declare function query(text: string, params: unknown[]): Promise<void>;
 *
 * async function saveEntry(entry: Parameters<typeof rowParameters>[0]): Promise<void> {
 *   const placeholders = HISTORY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
 *   await query(`INSERT INTO my_change_log (${HISTORY_COLUMNS.join(', ')}) VALUES (${placeholders})`, rowParameters(entry, { timestamp: (date) => date, systemChange: (flag) => flag }));
 * }
 * ```
 */
export function rowParameters(entry: NewChangeEntry, convert: RowConverters): unknown[] {
  const values = rowValues(entry, convert);
  return HISTORY_COLUMNS.map((column) => values[column]);
}
