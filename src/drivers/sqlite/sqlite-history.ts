import type { ChangeEntry, ChangeState, NewChangeEntry } from '../../history/change-entry.ts';
import { type HistoryRow, historyMetadata, type RowConverters, rowParameters } from '../shared/history-row.ts';
import type { SqliteStatement } from './sqlite-client.ts';
import { quoteIdentifier } from './sqlite-sql.ts';
import type { SqliteStatements } from './sqlite-statements.ts';

/** SQLite stores ISO-8601 text and 0/1. */
const CONVERTERS: RowConverters = { timestamp: (value) => value.toISOString(), systemChange: (value) => (value ? 1 : 0) };

/**
 * The history table: one row per (execution_id, author, change_id), with Mongock's fields in
 * snake_case. `timestamp` is ISO-8601 text, `metadata` JSON text, `system_change` 0/1.
 * SQLite stamps `timestamp` with its own time; `rowid` is the history order (see `readHistory`).
 *
 * The table is named exactly as the repository (`mongockChangeLog` by default), unlike the
 * PostgreSQL and MySQL drivers' `sqlTableName` (`mongock_change_log`): SQLite compares
 * identifiers case-insensitively on every platform, so their portability reason does not apply,
 * and every SQLite database migrated so far has its history under that name (a new default would
 * make it invisible).
 */
export class SqliteHistory {
  readonly #table: string;
  readonly #statements: SqliteStatements;

  /** `statements`: the connection's prepared statements (the upsert repeats every unit: parsed once). */
  constructor(tableName: string, statements: SqliteStatements) {
    this.#table = quoteIdentifier(tableName);
    this.#statements = statements;
  }

  create(): void {
    this.#statements.exec(`CREATE TABLE IF NOT EXISTS ${this.#table} (
      execution_id TEXT NOT NULL,
      change_id TEXT NOT NULL,
      author TEXT NOT NULL,
      timestamp TEXT NOT NULL,
      state TEXT NOT NULL,
      type TEXT NOT NULL,
      change_log_class TEXT,
      change_set_method TEXT,
      metadata TEXT,
      execution_millis INTEGER NOT NULL,
      execution_hostname TEXT,
      error_trace TEXT,
      system_change INTEGER NOT NULL DEFAULT 0,
      checksum TEXT,
      PRIMARY KEY (execution_id, author, change_id)
    )`);
  }

  read(): ChangeEntry[] {
    let read: { readonly names: readonly string[]; readonly rows: unknown[][] };
    try {
      // SQLite turns the ISO text into epoch milliseconds far faster than Date parsing in JavaScript.
      read = readRows(
        this.#statements.get(
          `SELECT *, CAST(ROUND((julianday(timestamp) - 2440587.5) * 86400000) AS INTEGER) AS timestamp_ms FROM ${this.#table} ORDER BY rowid`,
        ),
      );
    } catch (error) {
      if (error instanceof Error && /no such table/i.test(error.message)) return [];
      throw error;
    }
    const { rows } = read;
    const column = columnIndex(read.names);
    // Rows are only ever written by this driver, so they map straight to entries.
    return rows.map((row) => ({
      executionId: row[column.execution_id] as string,
      changeId: row[column.change_id] as string,
      author: row[column.author] as string,
      timestamp: new Date(row[column.timestamp_ms] as number),
      state: row[column.state] as ChangeState,
      type: row[column.type] === 'BEFORE_EXECUTION' ? 'BEFORE_EXECUTION' : 'EXECUTION',
      changeLogClass: (row[column.change_log_class] as string | null) ?? '',
      changeSetMethod: (row[column.change_set_method] as string | null) ?? '',
      metadata: row[column.metadata] == null ? null : historyMetadata(row[column.metadata], rowKey(row, column), `SQLite table ${this.#table}`),
      executionMillis: row[column.execution_millis] as number,
      executionHostname: (row[column.execution_hostname] as string | null) ?? '',
      errorTrace: (row[column.error_trace] as string | null) ?? null,
      systemChange: row[column.system_change] === 1,
      checksum: (row[column.checksum] as string | null) ?? null,
    }));
  }

  save(entry: NewChangeEntry): void {
    this.#statements
      .get(`INSERT INTO ${this.#table}
      (execution_id, change_id, author, timestamp, state, type, change_log_class, change_set_method, metadata, execution_millis, execution_hostname, error_trace, system_change, checksum)
      VALUES (?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (execution_id, author, change_id) DO UPDATE SET
        timestamp = excluded.timestamp, state = excluded.state, type = excluded.type, change_log_class = excluded.change_log_class,
        change_set_method = excluded.change_set_method, metadata = excluded.metadata, execution_millis = excluded.execution_millis,
        execution_hostname = excluded.execution_hostname, error_trace = excluded.error_trace, system_change = excluded.system_change,
        checksum = excluded.checksum`)
      .run(...rowParameters(entry, CONVERTERS));
  }
}

type HistoryColumn = keyof HistoryRow | 'timestamp_ms';

/**
 * The rows as arrays, with their column names. Arrays where the statement gives them (better-sqlite3's
 * `raw()`): it builds an object row a property at a time, which took half of reading 1,000 rows, and
 * every start-up reads them all. A statement without `raw()` (a wrapper typed structurally) gives objects.
 */
function readRows(statement: SqliteStatement): { readonly names: readonly string[]; readonly rows: unknown[][] } {
  if (statement.raw !== undefined && statement.columns !== undefined) {
    const rows = statement.raw(true).all() as unknown[][];
    return { names: statement.columns().map((column) => column.name), rows };
  }
  const objects = statement.all() as Array<Record<string, unknown>>;
  const names = objects.length === 0 ? [] : Object.keys(objects[0]!);
  return { names, rows: objects.map((row) => names.map((name) => row[name])) };
}

/** Where each column is in a row: by name, so a table whose columns were added in another order reads the same. */
function columnIndex(names: readonly string[]): Record<HistoryColumn, number> {
  const index = {} as Record<HistoryColumn, number>;
  names.forEach((name, at) => {
    index[name as HistoryColumn] ??= at;
  });
  return index;
}

function rowKey(row: readonly unknown[], column: Record<HistoryColumn, number>): Pick<HistoryRow, 'change_id' | 'execution_id' | 'author'> {
  return { change_id: row[column.change_id] as string, execution_id: row[column.execution_id] as string, author: row[column.author] as string };
}
