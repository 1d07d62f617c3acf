import { MongockError } from '../../errors/mongock-error.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import { normaliseEntry } from '../../history/is-executed.ts';
import { ER, errorCode } from './mysql-client.ts';
import type { MysqlSession } from './mysql-session.ts';
import { fromDatetime, quoteIdentifier, toDatetime } from './mysql-sql.ts';

const COLUMNS = [
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

/** Every column but the key is overwritten when an entry is saved again (same execution, unit and author). */
const UPDATED = COLUMNS.filter((column) => column !== 'execution_id' && column !== 'change_id' && column !== 'author');

/**
 * The history table's DDL. Mongock's fields in snake_case; the key (execution_id, author,
 * change_id) fits InnoDB's 3072-byte index limit in utf8mb4 (4 bytes a character); `utf8mb4_bin`
 * keeps ids case-sensitive as in Mongock; `id` only orders entries written in the same
 * millisecond. `timestamp` is UTC.
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

interface HistoryRow {
  execution_id: string;
  change_id: string;
  author: string;
  ts: string;
  state: string;
  type: string;
  change_log_class: string | null;
  change_set_method: string | null;
  metadata: unknown;
  execution_millis: number | string;
  execution_hostname: string | null;
  error_trace: string | null;
  system_change: number | string | boolean;
  checksum: string | null;
}

/** The history table: one row per (execution_id, author, change_id). */
export class MysqlHistory {
  readonly #session: MysqlSession;
  readonly #name: string;
  readonly #table: string;

  constructor(session: MysqlSession, tableName: string) {
    this.#session = session;
    this.#name = tableName;
    this.#table = `${quoteIdentifier(session.database)}.${quoteIdentifier(tableName)}`;
  }

  /**
   * Creates the table when it is missing. Looks first, so that a user with only SELECT/INSERT/
   * UPDATE rights runs against tables a DBA created from the documented DDL.
   */
  async create(): Promise<void> {
    try {
      await this.#session.rows(`SELECT 1 FROM ${this.#table} LIMIT 0`);
      return;
    } catch (error) {
      if (errorCode(error).errno !== ER.NO_SUCH_TABLE) throw accessError(error, 'read', 'history', this.#session.database, this.#name);
    }
    try {
      await this.#session.run(historyTableDdl(this.#table));
    } catch (error) {
      throw accessError(error, 'create', 'history', this.#session.database, this.#name);
    }
  }

  async read(): Promise<ChangeEntry[]> {
    let rows: HistoryRow[];
    try {
      rows = await this.#session.rows<HistoryRow>(
        `SELECT execution_id, change_id, author, CAST(\`timestamp\` AS CHAR) AS ts, state, type, change_log_class, change_set_method,
           metadata, execution_millis, execution_hostname, error_trace, system_change, checksum
         FROM ${this.#table} ORDER BY \`timestamp\`, id`,
      );
    } catch (error) {
      if (errorCode(error).errno === ER.NO_SUCH_TABLE) return [];
      throw accessError(error, 'read', 'history', this.#session.database, this.#name);
    }
    return rows.map((row) =>
      normaliseEntry({
        executionId: row.execution_id,
        changeId: row.change_id,
        author: row.author,
        timestamp: fromDatetime(row.ts),
        state: row.state,
        type: row.type,
        changeLogClass: row.change_log_class,
        changeSetMethod: row.change_set_method,
        // MySQL returns JSON columns parsed; MariaDB's JSON is LONGTEXT and comes back as text.
        metadata: typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata,
        executionMillis: Number(row.execution_millis),
        executionHostname: row.execution_hostname,
        errorTrace: row.error_trace,
        systemChange: row.system_change === 1 || row.system_change === true || row.system_change === '1',
        checksum: row.checksum,
      }),
    );
  }

  /** Upserts by key. Uses no `VALUES()` (deprecated by MySQL 8.0.20, the row alias replacing it is unknown to MariaDB). */
  async save(entry: ChangeEntry): Promise<void> {
    const values: Record<(typeof COLUMNS)[number], unknown> = {
      execution_id: entry.executionId,
      change_id: entry.changeId,
      author: entry.author,
      timestamp: toDatetime(entry.timestamp),
      state: entry.state,
      type: entry.type,
      change_log_class: entry.changeLogClass,
      change_set_method: entry.changeSetMethod,
      metadata: entry.metadata === null ? null : JSON.stringify(entry.metadata),
      execution_millis: Math.round(entry.executionMillis),
      execution_hostname: entry.executionHostname,
      error_trace: entry.errorTrace,
      system_change: entry.systemChange ? 1 : 0,
      checksum: entry.checksum ?? null,
    };
    const sql = `INSERT INTO ${this.#table} (${COLUMNS.map(quoteIdentifier).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
      ON DUPLICATE KEY UPDATE ${UPDATED.map((column) => `${quoteIdentifier(column)} = ?`).join(', ')}`;
    try {
      await this.#session.run(sql, [...COLUMNS.map((column) => values[column]), ...UPDATED.map((column) => values[column])]);
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

/** A privilege failure on one of Mongock's tables, with the GRANT that fixes it; other errors pass through. */
export function accessError(error: unknown, action: 'read' | 'write' | 'create', what: 'history' | 'lock', database: string, table: string): unknown {
  const { errno } = errorCode(error);
  if (errno !== ER.TABLEACCESS_DENIED && errno !== ER.DBACCESS_DENIED) return error;
  const message = (error as Error).message;
  const fix =
    action === 'create'
      ? `Grant CREATE for the first run (GRANT CREATE, SELECT, INSERT, UPDATE ON \`${database}\`.* TO <user>), or have an administrator create the table with the DDL in docs/mysql.md.`
      : `Mongock needs SELECT, INSERT and UPDATE on its tables (GRANT SELECT, INSERT, UPDATE ON \`${database}\`.\`${table}\` TO <user>).`;
  return new MongockError('DRIVER_ERROR', `Cannot ${action} the Mongock ${what} table \`${database}\`.\`${table}\`: ${message}. ${fix}`, { cause: error });
}
