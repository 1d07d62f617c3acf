import { type BatchCheckpoint, checkpointStoreName } from '../../history/batch-checkpoint.ts';
import {
  CHECKPOINT_COLUMNS,
  CHECKPOINT_MATCHED,
  CHECKPOINT_PROGRESS,
  CHECKPOINT_UPDATED,
  checkpointFromRow,
  checkpointParameters,
  checkpointPicker,
} from '../shared/checkpoint-row.ts';
import { WrittenCheckpoints } from '../shared/written-checkpoints.ts';
import { quoteIdentifier } from './sqlite-sql.ts';
import type { SqliteStatements } from './sqlite-statements.ts';

/**
 * The checkpoints of batched steps: a table named after the history table plus `_checkpoints`,
 * one row per (change_id, author); times are ISO-8601 text. Created under the lock, before the
 * first batch of a run that has one. A pass's first checkpoint is an upsert; the later ones
 * UPDATE the row's progress columns by its key (see {@link WrittenCheckpoints}).
 */
export class SqliteCheckpoints {
  readonly #table: string;
  readonly #statements: SqliteStatements;
  readonly #written = new WrittenCheckpoints();

  /** `historyTable`: what the store is named after; `statements`: the connection's prepared statements (the upsert repeats every batch: parsed once). */
  constructor(historyTable: string, statements: SqliteStatements) {
    this.#table = quoteIdentifier(checkpointStoreName(historyTable));
    this.#statements = statements;
  }

  async prepare(): Promise<void> {
    this.#statements.exec(`CREATE TABLE IF NOT EXISTS ${this.#table} (
      change_id TEXT NOT NULL,
      author TEXT NOT NULL,
      direction TEXT NOT NULL,
      execution_id TEXT NOT NULL,
      last_key TEXT,
      until_key TEXT,
      batches INTEGER NOT NULL,
      processed INTEGER NOT NULL,
      estimated_total INTEGER,
      state TEXT NOT NULL,
      started_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (change_id, author)
    )`);
  }

  async read(): Promise<BatchCheckpoint[]> {
    let rows: Array<Record<string, unknown>>;
    try {
      rows = this.#statements.get(`SELECT * FROM ${this.#table}`).all() as Array<Record<string, unknown>>;
    } catch (error) {
      if (error instanceof Error && /no such table/i.test(error.message)) return [];
      throw error;
    }
    return rows.map((row) => checkpointFromRow(row, `SQLite table ${this.#table}`));
  }

  /** Inside the caller's transaction, if any. */
  save(checkpoint: BatchCheckpoint): void {
    const values = checkpointParameters(checkpoint, isoText);
    if (this.#update(checkpoint, values, NO_FENCE)) return;
    this.#statements
      .get(`INSERT INTO ${this.#table} (${COLUMN_LIST}) VALUES (${PLACEHOLDERS}) ON CONFLICT (change_id, author) DO UPDATE SET ${UPDATE_SET}`)
      .run(...values);
    this.#written.note(checkpoint);
  }

  /**
   * The write only where `fence` holds, in one statement (`UPDATE … WHERE … AND fence`, or
   * `INSERT … SELECT … WHERE fence` for an upsert): inside a write transaction it is the
   * transaction's fence too (see SqliteLock.fenceCondition). Returns false, writing nothing, when
   * the fence does not hold.
   */
  saveFenced(checkpoint: BatchCheckpoint, fence: Fence): boolean {
    const values = checkpointParameters(checkpoint, isoText);
    // An UPDATE that changed nothing: the fence failed, or the row is not there; the upsert tells which.
    if (this.#update(checkpoint, values, fence)) return true;
    // `WHERE` before `ON CONFLICT`: SQLite's documented way to tell an upsert's ON from a join's.
    const statement = this.#statements.get(
      `INSERT INTO ${this.#table} (${COLUMN_LIST}) SELECT ${PLACEHOLDERS} WHERE ${fence.sql} ON CONFLICT (change_id, author) DO UPDATE SET ${UPDATE_SET}`,
    );
    if (statement.run(...values, ...fence.params).changes !== 1) return false;
    this.#written.note(checkpoint);
    return true;
  }

  /**
   * After a checkpoint of the same pass: its progress columns, by primary key (one B-tree
   * search, no speculative insert), where the row still holds this pass. True when it wrote.
   */
  #update(checkpoint: BatchCheckpoint, values: readonly unknown[], fence: Fence): boolean {
    if (!this.#written.has(checkpoint)) return false;
    const statement = this.#statements.get(`UPDATE ${this.#table} SET ${PROGRESS_SET} WHERE ${MATCHED_WHERE}${fence.sql === '' ? '' : ` AND ${fence.sql}`}`);
    return statement.run(...progressValues(values), ...matchedValues(values), ...fence.params).changes === 1;
  }
}

/** A condition that must hold for a checkpoint to be written (SqliteLock.fenceCondition), with its parameters. */
type Fence = { readonly sql: string; readonly params: readonly unknown[] };
const NO_FENCE: Fence = { sql: '', params: [] };

const COLUMN_LIST = CHECKPOINT_COLUMNS.join(', ');
const PLACEHOLDERS = CHECKPOINT_COLUMNS.map(() => '?').join(', ');
const UPDATE_SET = CHECKPOINT_UPDATED.map((column) => `${column} = excluded.${column}`).join(', ');
const progressValues = checkpointPicker(CHECKPOINT_PROGRESS);
const matchedValues = checkpointPicker(CHECKPOINT_MATCHED);
const PROGRESS_SET = CHECKPOINT_PROGRESS.map((column) => `${column} = ?`).join(', ');
// The key by `=` (the primary key's search); the rest by `IS`, NULL-safe (until_key, estimated_total).
const MATCHED_WHERE = CHECKPOINT_MATCHED.map((column) => `${column} ${column === 'change_id' || column === 'author' ? '=' : 'IS'} ?`).join(' AND ');

function isoText(value: Date): string {
  return value.toISOString();
}
