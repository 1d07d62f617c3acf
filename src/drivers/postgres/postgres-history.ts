import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import { LOCK_KEY } from '../../lock/lock-config.ts';
import { entryFromRow, type HistoryRow, type RowConverters, rowParameters } from '../shared/history-row.ts';
import type { PostgresSession } from './postgres-session.ts';
import { createTableError, qualify, sqlLiteral } from './postgres-sql.ts';

/** pg binds a Date to timestamptz and a boolean as is. */
const CONVERTERS: RowConverters = { timestamp: (value) => value, systemChange: (value) => value };

interface PostgresHistoryRow extends HistoryRow {
  readonly timestamp: Date | string;
}

/**
 * The history table: one row per (execution_id, author, change_id), with Mongock's fields in
 * snake_case and PostgreSQL types (`timestamptz`, `jsonb`, `bigint`, `boolean`). `timestamp` is
 * the server's `clock_timestamp()` at the write; `id` (an identity) is the history order.
 */
/** A history read, with the lock row as the same statement (hence the same snapshot) saw it. */
export interface HistoryRead {
  readonly entries: ChangeEntry[];
  /** The lock row's fence; 0 when there is no lock table or row yet. */
  readonly fence: number;
  /** Whether the lock row named no owner (no runner was between its grant and its release). */
  readonly free: boolean;
}

export class PostgresHistory {
  readonly #session: PostgresSession;
  readonly #table: string;
  /** Known to exist (seen at connect time, or created): then no catalogue query is needed. */
  #exists: boolean;
  #absentAtConnect: boolean;

  constructor(session: PostgresSession, schema: string, table: string, exists: boolean) {
    this.#session = session;
    this.#table = qualify(schema, table);
    this.#exists = exists;
    this.#absentAtConnect = !exists;
  }

  get qualifiedName(): string {
    return this.#table;
  }

  /**
   * Creates the table when missing. Called only under the advisory lock, so that racing
   * bootstrappers never meet in CREATE TABLE; an existing table needs no CREATE privilege.
   */
  async create(): Promise<void> {
    if (await this.#check()) return;
    try {
      await this.#session.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
        id bigint GENERATED ALWAYS AS IDENTITY,
        execution_id text NOT NULL,
        change_id text NOT NULL,
        author text NOT NULL,
        "timestamp" timestamptz NOT NULL,
        state text NOT NULL,
        type text NOT NULL,
        change_log_class text,
        change_set_method text,
        metadata jsonb,
        execution_millis bigint NOT NULL,
        execution_hostname text,
        error_trace text,
        system_change boolean NOT NULL DEFAULT false,
        checksum text,
        PRIMARY KEY (execution_id, author, change_id)
      )`);
    } catch (error) {
      throw createTableError(error, this.#table, 'history');
    }
    this.#exists = true;
  }

  /** Every entry, in order; with `lockTable` (when it exists) the lock row's fence, in the same statement. */
  async read(lockTable?: string): Promise<HistoryRead> {
    if (!(await this.#check())) return { entries: [], fence: 0, free: true };
    if (lockTable === undefined) {
      const { rows } = await this.#session.query<PostgresHistoryRow>(`SELECT * FROM ${this.#table} ORDER BY id`);
      return { entries: rows.map((row) => toEntry(row, this.#table)), fence: 0, free: true };
    }
    // One row at least (the lock's), then one per entry: `lock_*` never clash with history columns.
    const { rows } = await this.#session.query<PostgresHistoryRow & { lock_fence: string | null; lock_free: boolean | null }>(
      `SELECT l.fence AS lock_fence, l.owner IS NULL AS lock_free, h.*
         FROM (SELECT 1) AS one
         LEFT JOIN (SELECT fence, owner FROM ${lockTable} WHERE lock_key = $1) AS l ON true
         LEFT JOIN ${this.#table} AS h ON true
        ORDER BY h.id`,
      [LOCK_KEY],
    );
    const first = rows[0];
    const entries = rows.filter((row) => row.execution_id !== null).map((row) => toEntry(row, this.#table));
    if (first?.lock_fence == null) return { entries, fence: 0, free: true };
    return { entries, fence: Number(first.lock_fence), free: first.lock_free === true };
  }

  /** Upserts by the key, on the session (inside the scope's transaction if one is open). */
  async save(entry: NewChangeEntry): Promise<void> {
    await this.#session.query(
      this.#upsert(['($1, $2, $3, COALESCE($4::timestamptz, clock_timestamp()), $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14)']),
      rowParameters(entry, CONVERTERS),
    );
  }

  /**
   * The same upsert of several entries as literal text (pg's escaping rules, as the batch
   * checkpoint's), sent in the COMMIT's query: a transaction's entries cost no round trip of
   * their own. Rows keep the given order, so their identities (the history order) do too; a key
   * given twice keeps its last entry (one statement cannot update a row twice).
   */
  upsertText(entries: readonly NewChangeEntry[]): string {
    const last = new Map<string, NewChangeEntry>();
    for (const entry of entries) last.set(`${entry.executionId}\u0000${entry.author}\u0000${entry.changeId}`, entry);
    const rows = [...last.values()].map((entry) => {
      const [executionId, changeId, author, timestamp, state, type, changeLogClass, changeSetMethod, metadata, ...rest] = rowParameters(entry, CONVERTERS).map(
        sqlLiteral,
      );
      const values = [
        executionId,
        changeId,
        author,
        `COALESCE(${timestamp}::timestamptz, clock_timestamp())`,
        state,
        type,
        changeLogClass,
        changeSetMethod,
        `${metadata}::jsonb`,
        ...rest,
      ];
      return `(${values.join(', ')})`;
    });
    return this.#upsert(rows);
  }

  #upsert(rows: readonly string[]): string {
    return `INSERT INTO ${this.#table}
        (execution_id, change_id, author, "timestamp", state, type, change_log_class, change_set_method, metadata, execution_millis, execution_hostname, error_trace, system_change, checksum)
        VALUES ${rows.join(',\n')}
        ON CONFLICT (execution_id, author, change_id) DO UPDATE SET
          "timestamp" = excluded."timestamp", state = excluded.state, type = excluded.type, change_log_class = excluded.change_log_class,
          change_set_method = excluded.change_set_method, metadata = excluded.metadata, execution_millis = excluded.execution_millis,
          execution_hostname = excluded.execution_hostname, error_trace = excluded.error_trace, system_change = excluded.system_change,
          checksum = excluded.checksum`;
  }

  async #check(): Promise<boolean> {
    if (this.#exists) return true;
    if (this.#absentAtConnect) {
      // The connect-time statement just said so; any later question asks the catalogue again.
      this.#absentAtConnect = false;
      return false;
    }
    const { rows } = await this.#session.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [this.#table]);
    this.#exists = rows[0]?.exists === true;
    return this.#exists;
  }
}

function toEntry(row: PostgresHistoryRow, table: string): ChangeEntry {
  return entryFromRow(row, row.timestamp instanceof Date ? row.timestamp : new Date(row.timestamp), row.system_change === true, table);
}
