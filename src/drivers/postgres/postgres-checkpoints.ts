import { createHash } from 'node:crypto';
import { MongockError } from '../../errors/mongock-error.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import { CHECKPOINT_COLUMNS, CHECKPOINT_UPDATED, checkpointFromRow, checkpointParameters } from '../shared/checkpoint-row.ts';
import type { PostgresSession } from './postgres-session.ts';
import { createTableError, qualify, sqlLiteral, sqlState } from './postgres-sql.ts';

const PARAMETERS = CHECKPOINT_COLUMNS.map((_, i) => `$${i + 1}`);

/**
 * The checkpoints of batched steps: a table named after the history table plus `_checkpoints`
 * (`mongock_change_log_checkpoints` by default), in the same schema, one row per (change_id,
 * author). Created under the advisory lock, before the first batch of a run that has one; written
 * on the run's connection, so inside the batch's transaction. The upsert is PREPAREd on the session
 * with the store's set-up, so a batch's COMMIT query carries an `EXECUTE` of it, not a statement
 * the server parses and plans again for every batch.
 */
export class PostgresCheckpoints {
  readonly #session: PostgresSession;
  readonly #table: string;
  /** The upsert with $1…$12, and its prepared statement's name: its hash, so one name is always one text. */
  readonly #statement: string;
  readonly #name: string;
  #exists = false;
  /** Whether this session has {@link #name} PREPAREd (a session's prepared statements die with it). */
  #prepared = false;

  constructor(session: PostgresSession, schema: string, table: string) {
    this.#session = session;
    this.#table = qualify(schema, table);
    this.#statement = this.#upsert(PARAMETERS);
    this.#name = `mongock_checkpoint_${createHash('sha256').update(this.#statement).digest('hex').slice(0, 16)}`;
  }

  /**
   * Creates the table and PREPAREs the upsert, in one simple query (outside any transaction: the
   * runner calls it before a run's first batch). A session that already has the statement (a
   * pooled or the caller's connection that ran Mongock before) answers 42P05, which rolls back the
   * CREATE sent with it: the CREATE is then sent alone.
   */
  async prepare(): Promise<void> {
    if (this.#prepared) return;
    const create = this.#createText();
    try {
      await this.#session.query(`${create};\nPREPARE ${this.#name} AS ${this.#statement}`);
    } catch (error) {
      if (sqlState(error) !== '42P05') throw createTableError(error, this.#table, 'checkpoint');
      await this.#create(create);
    }
    this.#exists = true;
    this.#prepared = true;
  }

  async #create(create: string): Promise<void> {
    try {
      await this.#session.query(create);
    } catch (error) {
      throw createTableError(error, this.#table, 'checkpoint');
    }
  }

  #createText(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.#table} (
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
      )`;
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
      this.#statement,
      checkpointParameters(checkpoint, (value) => value),
    );
  }

  /**
   * The upsert as one statement of literal text, to send with the COMMIT of the batch's
   * transaction in one simple query (`…; COMMIT`): the checkpoint then costs no round trip of its
   * own. Once prepared, an `EXECUTE` of the session's statement; before, the whole INSERT.
   */
  upsertText(checkpoint: BatchCheckpoint): string {
    const values = checkpointParameters(checkpoint, (value) => value).map(sqlLiteral);
    return this.#prepared ? `EXECUTE ${this.#name}(${values.join(', ')})` : this.#upsert(values);
  }

  /**
   * When `error` says the session lost the prepared upsert (a change ran `DEALLOCATE ALL` or
   * `DISCARD ALL` on the raw client), an error saying so; the checkpoints after it are sent as
   * whole statements again. Undefined for any other error.
   */
  lostStatement(error: unknown): MongockError | undefined {
    if (!this.#prepared || sqlState(error) !== '26000' || !String((error as Error).message).includes(this.#name)) return undefined;
    this.#prepared = false;
    return new MongockError(
      'DRIVER_ERROR',
      `The batch's checkpoint could not be written: its prepared statement ${this.#name} was removed from the session (DEALLOCATE or DISCARD in a change?). ` +
        'The batch was rolled back and its checkpoint is unchanged; run again to resume after it, and do not deallocate prepared statements in a change.',
      { cause: error },
    );
  }

  #upsert(values: readonly string[]): string {
    return `INSERT INTO ${this.#table} (${CHECKPOINT_COLUMNS.join(', ')}) VALUES (${values.join(', ')})
       ON CONFLICT (change_id, author) DO UPDATE SET ${CHECKPOINT_UPDATED.map((column) => `${column} = excluded.${column}`).join(', ')}`;
  }
}
