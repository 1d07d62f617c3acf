import { type BatchCheckpoint, checkpointStoreName } from '../../history/batch-checkpoint.ts';
import { CHECKPOINT_COLUMNS, CHECKPOINT_UPDATED, checkpointFromRow, checkpointParameters } from '../shared/checkpoint-row.ts';
import { quoteIdentifier } from './sqlite-sql.ts';
import type { SqliteStatements } from './sqlite-statements.ts';

/**
 * The checkpoints of batched steps: a table named after the history table plus `_checkpoints`,
 * one row per (change_id, author); times are ISO-8601 text. Created under the lock, before the
 * first batch of a run that has one.
 */
export class SqliteCheckpoints {
  readonly #table: string;
  readonly #statements: SqliteStatements;

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
    this.#statements
      .get(`INSERT INTO ${this.#table} (${COLUMN_LIST}) VALUES (${PLACEHOLDERS}) ON CONFLICT (change_id, author) DO UPDATE SET ${UPDATE_SET}`)
      .run(...checkpointParameters(checkpoint, isoText));
  }

  /**
   * The upsert only where `fence` holds, in one statement (`INSERT … SELECT … WHERE fence`):
   * inside a write transaction it is the transaction's fence too (see SqliteLock.fenceCondition).
   * Returns false, writing nothing, when the fence does not hold.
   */
  saveFenced(checkpoint: BatchCheckpoint, fence: { readonly sql: string; readonly params: readonly unknown[] }): boolean {
    // `WHERE` before `ON CONFLICT`: SQLite's documented way to tell an upsert's ON from a join's.
    const statement = this.#statements.get(
      `INSERT INTO ${this.#table} (${COLUMN_LIST}) SELECT ${PLACEHOLDERS} WHERE ${fence.sql} ON CONFLICT (change_id, author) DO UPDATE SET ${UPDATE_SET}`,
    );
    return statement.run(...checkpointParameters(checkpoint, isoText), ...fence.params).changes === 1;
  }
}

const COLUMN_LIST = CHECKPOINT_COLUMNS.join(', ');
const PLACEHOLDERS = CHECKPOINT_COLUMNS.map(() => '?').join(', ');
const UPDATE_SET = CHECKPOINT_UPDATED.map((column) => `${column} = excluded.${column}`).join(', ');

function isoText(value: Date): string {
  return value.toISOString();
}
