import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import { CHECKPOINT_COLUMNS, CHECKPOINT_UPDATED, checkpointFromRow, checkpointParameters } from '../shared/checkpoint-row.ts';
import { ER, errorCode, type MysqlResultHeader } from './mysql-client.ts';
import type { MysqlSession } from './mysql-session.ts';
import { fromDatetime, quoteIdentifier, toDatetime } from './mysql-sql.ts';

/**
 * The checkpoints of batched steps: a table named after the history table plus `_checkpoints`
 * (`mongock_change_log_checkpoints` by default), one row per (change_id, author), InnoDB so that
 * a checkpoint commits with its batch. Created under the lock before the first batch of a run that has one.
 */
export class MysqlCheckpoints {
  readonly #session: MysqlSession;
  readonly #table: string;

  constructor(session: MysqlSession, tableName: string) {
    this.#session = session;
    this.#table = quoteIdentifier(tableName);
  }

  async prepare(): Promise<void> {
    await this.#session.run(`CREATE TABLE IF NOT EXISTS ${this.#table} (
  change_id VARCHAR(255) NOT NULL,
  author VARCHAR(255) NOT NULL,
  direction VARCHAR(16) NOT NULL,
  execution_id VARCHAR(100) NOT NULL,
  last_key TEXT NULL,
  until_key TEXT NULL,
  batches BIGINT NOT NULL,
  processed BIGINT NOT NULL,
  estimated_total BIGINT NULL,
  state VARCHAR(16) NOT NULL,
  started_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  PRIMARY KEY (change_id, author)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async read(): Promise<BatchCheckpoint[]> {
    let rows: Record<string, unknown>[];
    try {
      rows = await this.#session.rows<Record<string, unknown>>(
        `SELECT *, CAST(started_at AS CHAR) AS started_text, CAST(updated_at AS CHAR) AS updated_text FROM ${this.#table}`,
      );
    } catch (error) {
      if (errorCode(error).errno === ER.NO_SUCH_TABLE) return [];
      throw error;
    }
    return rows.map((row) =>
      checkpointFromRow(
        { ...row, started_at: fromDatetime(row.started_text).toISOString(), updated_at: fromDatetime(row.updated_text).toISOString() },
        `MySQL table ${this.#table}`,
      ),
    );
  }

  /** On the session: inside the scope's transaction if one is open. */
  save(checkpoint: BatchCheckpoint): Promise<MysqlResultHeader> {
    const values = checkpointParameters(checkpoint, toDatetime);
    const updated = CHECKPOINT_UPDATED.map((column) => values[CHECKPOINT_COLUMNS.indexOf(column)]);
    return this.#session.run(
      `INSERT INTO ${this.#table} (${CHECKPOINT_COLUMNS.join(', ')}) VALUES (${CHECKPOINT_COLUMNS.map(() => '?').join(', ')})
       ON DUPLICATE KEY UPDATE ${CHECKPOINT_UPDATED.map((column) => `${column} = ?`).join(', ')}`,
      [...values, ...updated],
    );
  }
}
