import { MongockError } from '../../errors/mongock-error.ts';
import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import { LOCK_KEY } from '../../lock/lock-config.ts';
import { entryFromRow, HISTORY_COLUMNS, type HistoryRow, type RowConverters, rowValues } from '../shared/history-row.ts';
import { ER, errorCode, type MysqlResultHeader } from './mysql-client.ts';
import type { MysqlSession } from './mysql-session.ts';
import { fromDatetime, quoteIdentifier, toDatetime } from './mysql-sql.ts';
import { accessError, readCreating } from './mysql-table-access.ts';

/** MySQL binds DATETIME(3) text in UTC and 0/1. */
const CONVERTERS: RowConverters = { timestamp: toDatetime, systemChange: (value) => (value ? 1 : 0) };
/** The server's clock stamps an entry written without a timestamp. */
const placeholder = (column: (typeof HISTORY_COLUMNS)[number]): string => (column === 'timestamp' ? 'COALESCE(?, UTC_TIMESTAMP(3))' : '?');
/** Every column but the key is overwritten when an entry is saved again (same execution, unit and author). */
const UPDATED = HISTORY_COLUMNS.filter((column) => column !== 'execution_id' && column !== 'change_id' && column !== 'author');

/**
 * The history table's DDL. Mongock's fields in snake_case; the key (execution_id, author,
 * change_id) fits InnoDB's 3072-byte index limit in utf8mb4 (4 bytes a character); `utf8mb4_bin`
 * keeps ids case-sensitive as in Mongock; `id` (AUTO_INCREMENT) is the history order.
 * `timestamp` is UTC, the server's `UTC_TIMESTAMP(3)` at the write.
 */
export function historyTableDdl(qualifiedName: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName} (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  execution_id VARCHAR(100) NOT NULL,
  change_id VARCHAR(255) NOT NULL,
  author VARCHAR(255) NOT NULL,
  \`timestamp\` DATETIME(3) NOT NULL,
  state VARCHAR(32) NOT NULL,
  type VARCHAR(32) NOT NULL,
  change_log_class VARCHAR(512) NULL,
  change_set_method VARCHAR(255) NULL,
  metadata JSON NULL,
  execution_millis BIGINT NOT NULL,
  execution_hostname VARCHAR(255) NULL,
  error_trace MEDIUMTEXT NULL,
  system_change TINYINT(1) NOT NULL DEFAULT 0,
  checksum VARCHAR(64) NULL,
  PRIMARY KEY (execution_id, author, change_id),
  UNIQUE KEY ${quoteIdentifier('id')} (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

/** The lock row as a history read saw it: `fence` 0 and `free` when the row does not exist yet. */
export interface SeenLockRow {
  readonly fence: number;
  readonly free: boolean;
  readonly inProgress: unknown;
}

export interface HistoryRead {
  readonly entries: ChangeEntry[];
  /** Undefined when the lock table does not exist (or was not asked for). */
  readonly lock: SeenLockRow | undefined;
}

interface LockColumns {
  readonly lock_fence: number | string | null;
  /** NULL (no row) or 1: free; 0: named an owner. */
  readonly lock_free: number | string | null;
  readonly lock_in_progress: unknown;
}

interface MysqlHistoryRow extends HistoryRow {
  /** `timestamp` cast to text: DATETIME(3) in UTC. */
  readonly ts: string;
}

/** The history table: one row per (execution_id, author, change_id). */
export class MysqlHistory {
  readonly #session: MysqlSession;
  readonly #name: string;
  readonly #table: string;
  /** A read of this connection found the table. */
  #seen = false;

  constructor(session: MysqlSession, tableName: string) {
    this.#session = session;
    this.#name = tableName;
    this.#table = `${quoteIdentifier(session.database)}.${quoteIdentifier(tableName)}`;
  }

  /**
   * Creates the table when it is missing. Looks first (or knows from this connection's history
   * read), so that a user with only SELECT/INSERT/UPDATE rights runs against tables a DBA
   * created from the documented DDL.
   */
  async create(): Promise<void> {
    // Mongock never drops its tables: one seen by a read of this connection is still there.
    if (this.#seen) return;
    const probe = async () => {
      await this.#session.rows(`SELECT 1 FROM ${this.#table} LIMIT 0`);
    };
    await readCreating(this.#session, { what: 'history', name: this.#name, ddl: historyTableDdl(this.#table) }, probe, undefined);
  }

  /**
   * Every entry, in order. With `lockTable`, the lock row as the same statement saw it (one
   * snapshot): `lock` is undefined when that table does not exist (then the history is read alone).
   */
  async read(lockTable?: string): Promise<HistoryRead> {
    const columns = `h.execution_id, h.change_id, h.author, CAST(h.\`timestamp\` AS CHAR) AS ts, h.state, h.type, h.change_log_class,
           h.change_set_method, h.metadata, h.execution_millis, h.execution_hostname, h.error_trace, h.system_change, h.checksum`;
    let rows: Array<MysqlHistoryRow & Partial<LockColumns>>;
    const withLock = lockTable !== undefined;
    try {
      // One row at least (the lock's), then one per entry: `lock_*` never clash with history columns.
      rows = withLock
        ? await this.#session.rows(
            `SELECT l.fence AS lock_fence, l.owner IS NULL AS lock_free, l.in_progress AS lock_in_progress, ${columns}
               FROM (SELECT 1) AS one
               LEFT JOIN (SELECT fence, owner, in_progress FROM ${lockTable} WHERE lock_key = ?) AS l ON 1 = 1
               LEFT JOIN ${this.#table} AS h ON 1 = 1
              ORDER BY h.id`,
            [LOCK_KEY],
          )
        : await this.#session.rows(`SELECT ${columns} FROM ${this.#table} AS h ORDER BY h.id`);
    } catch (error) {
      if (errorCode(error).errno !== ER.NO_SUCH_TABLE) throw accessError(error, 'read', 'history', this.#session.database, this.#name);
      // One of the two tables is missing (a first run): the history alone says which.
      return withLock ? this.read() : { entries: [], lock: undefined };
    }
    this.#seen = true;
    const first = rows[0];
    const lock =
      !withLock || first === undefined
        ? undefined
        : { fence: Number(first.lock_fence ?? 0), free: first.lock_free !== 0 && first.lock_free !== '0', inProgress: first.lock_in_progress ?? null };
    const entries = rows
      .filter((row) => (row.execution_id as string | null) !== null)
      .map((row) => entryFromRow(row, fromDatetime(row.ts), row.system_change === 1 || row.system_change === true || row.system_change === '1', this.#table));
    return { entries, lock };
  }

  /** Upserts by key. Uses no `VALUES()` (deprecated by MySQL 8.0.20, the row alias replacing it is unknown to MariaDB). */
  /** Returns the statement's result header: its `serverStatus` says whether a transaction is still open. */
  async save(entry: NewChangeEntry): Promise<MysqlResultHeader> {
    const values = rowValues(entry, CONVERTERS);
    const sql = `INSERT INTO ${this.#table} (${HISTORY_COLUMNS.map(quoteIdentifier).join(', ')}) VALUES (${HISTORY_COLUMNS.map(placeholder).join(', ')})
      ON DUPLICATE KEY UPDATE ${UPDATED.map((column) => `${quoteIdentifier(column)} = ${placeholder(column)}`).join(', ')}`;
    try {
      return await this.#session.run(sql, [...HISTORY_COLUMNS.map((column) => values[column]), ...UPDATED.map((column) => values[column])]);
    } catch (error) {
      if (errorCode(error).errno === ER.DATA_TOO_LONG) {
        throw new MongockError(
          'DRIVER_ERROR',
          `Cannot record '${entry.changeId}' by '${entry.author}' in the history table: ${(error as Error).message}. Ids are limited to 255 characters, execution ids to 100.`,
          { changeId: entry.changeId, author: entry.author, cause: error },
        );
      }
      throw accessError(error, 'write', 'history', this.#session.database, this.#name);
    }
  }
}
