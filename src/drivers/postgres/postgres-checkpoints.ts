import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import { CHECKPOINT_COLUMNS, CHECKPOINT_UPDATED, checkpointFromRow, checkpointParameters } from '../shared/checkpoint-row.ts';
import type { PostgresSession } from './postgres-session.ts';
import { createTableError, qualify, sqlLiteral } from './postgres-sql.ts';

/**
 * The checkpoints of batched steps: a table named after the history table plus `_checkpoints`
 * (`mongock_change_log_checkpoints` by default), in the same schema, one row per (change_id,
 * author). Created under the advisory lock, before the first batch of a run that has one; written
 * on the run's connection, so inside the batch's transaction.
 */
export class PostgresCheckpoints {
  readonly #session: PostgresSession;
  readonly #table: string;
  #exists = false;

  constructor(session: PostgresSession, schema: string, table: string) {
    this.#session = session;
    this.#table = qualify(schema, table);
  }

  async prepare(): Promise<void> {
    if (this.#exists) return;
    try {
      await this.#session.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
        change_id text NOT NULL,
        author text NOT NULL,
        direction text NOT NULL,
        execution_id text NOT NULL,
        last_key text,
        until_key text,
        batches bigint NOT NULL,
        processed bigint NOT NULL,
        estimated_total bigint,
        state text NOT NULL,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (change_id, author)
      )`);
    } catch (error) {
      throw createTableError(error, this.#table, 'checkpoint');
    }
    this.#exists = true;
  }

  async read(): Promise<BatchCheckpoint[]> {
    if (!this.#exists) {
      const { rows: found } = await this.#session.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [this.#table]);
      if (found[0]?.exists !== true) return [];
      // Tables are never dropped by Mongock: seen once, it stays known for the run.
      this.#exists = true;
    }
    const { rows } = await this.#session.query<Record<string, unknown>>(`SELECT * FROM ${this.#table}`);
    return rows.map((row) => checkpointFromRow(row, `PostgreSQL table ${this.#table}`));
  }

  /** On the session: inside the scope's transaction if one is open. */
  async save(checkpoint: BatchCheckpoint): Promise<void> {
    await this.#session.query(
      this.#upsert(CHECKPOINT_COLUMNS.map((_, i) => `$${i + 1}`)),
      checkpointParameters(checkpoint, (value) => value),
    );
  }

  /**
   * The upsert as one statement of literal text, to send with the COMMIT of the batch's
   * transaction in one simple query (`…; COMMIT`): the checkpoint then costs no round trip of its own.
   */
  upsertText(checkpoint: BatchCheckpoint): string {
    return this.#upsert(checkpointParameters(checkpoint, (value) => value).map(sqlLiteral));
  }

  #upsert(values: readonly string[]): string {
    return `INSERT INTO ${this.#table} (${CHECKPOINT_COLUMNS.join(', ')}) VALUES (${values.join(', ')})
       ON CONFLICT (change_id, author) DO UPDATE SET ${CHECKPOINT_UPDATED.map((column) => `${column} = excluded.${column}`).join(', ')}`;
  }
}
