import { MongockError } from '../../errors/mongock-error.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';

/** A SQL checkpoint table's columns, in one order for every SQL driver (primary key: change_id, author). */
export const CHECKPOINT_COLUMNS = [
  'change_id',
  'author',
  'direction',
  'execution_id',
  'last_key',
  'until_key',
  'batches',
  'processed',
  'estimated_total',
  'state',
  'started_at',
  'updated_at',
] as const;

/** The columns an upsert updates: all but the key. */
export const CHECKPOINT_UPDATED = CHECKPOINT_COLUMNS.filter((column) => column !== 'change_id' && column !== 'author');

/** The columns a batch changes: what a checkpoint's UPDATE sets once its row exists. */
export const CHECKPOINT_PROGRESS = ['last_key', 'batches', 'processed', 'state', 'updated_at'] as const;

/**
 * The key and the columns fixed for a pass (one run's walk in one direction): a checkpoint's
 * UPDATE matches only a row with all of these equal (compared NULL-safe), so the row it writes is
 * the whole checkpoint, never a mix with another run's or direction's.
 */
export const CHECKPOINT_MATCHED = CHECKPOINT_COLUMNS.filter((column) => !(CHECKPOINT_PROGRESS as readonly string[]).includes(column));

/**
 * Picks values in `columns` order from values in {@link CHECKPOINT_COLUMNS} order; the positions
 * are found once, when the picker is made, not at every batch's checkpoint.
 */
export function checkpointPicker(columns: readonly string[]): (values: readonly unknown[]) => unknown[] {
  const positions = columns.map((column) => CHECKPOINT_COLUMNS.indexOf(column as (typeof CHECKPOINT_COLUMNS)[number]));
  return (values) => positions.map((position) => values[position]);
}

/** A checkpoint's values in {@link CHECKPOINT_COLUMNS} order; `date` turns times into what the driver binds. */
export function checkpointParameters(checkpoint: BatchCheckpoint, date: (value: Date) => unknown): unknown[] {
  return [
    checkpoint.changeId,
    checkpoint.author,
    checkpoint.direction,
    checkpoint.executionId,
    checkpoint.lastKey,
    checkpoint.untilKey,
    checkpoint.batches,
    checkpoint.processed,
    checkpoint.estimatedTotal,
    checkpoint.state,
    date(checkpoint.startedAt),
    date(checkpoint.updatedAt),
  ];
}

/** A row as a SQL client returns it (numbers may come as text: PostgreSQL's bigint). A row no driver wrote is `CORRUPT_RECORD`. */
export function checkpointFromRow(row: Record<string, unknown>, store: string): BatchCheckpoint {
  const direction = row.direction;
  const state = row.state;
  if ((direction !== 'execute' && direction !== 'rollback') || (state !== 'running' && state !== 'done')) {
    throw new MongockError(
      'CORRUPT_RECORD',
      `The checkpoint of change '${String(row.change_id)}' by '${String(row.author)}' in ${store} cannot be read (direction ${JSON.stringify(direction)}, state ${JSON.stringify(state)}). ` +
        'Delete that row to start the batched unit from the beginning.',
      { changeId: String(row.change_id) },
    );
  }
  return {
    changeId: String(row.change_id),
    author: String(row.author),
    direction,
    executionId: String(row.execution_id),
    lastKey: row.last_key == null ? null : String(row.last_key),
    untilKey: row.until_key == null ? null : String(row.until_key),
    batches: Number(row.batches),
    processed: Number(row.processed),
    estimatedTotal: row.estimated_total == null ? null : Number(row.estimated_total),
    state,
    startedAt: new Date(row.started_at as string | number | Date),
    updatedAt: new Date(row.updated_at as string | number | Date),
  };
}
