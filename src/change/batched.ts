/**
 * A key that orders a source's items: the last one done is the checkpoint. Custom sources return
 * a JSON-serialisable value; the bundled sources also take driver types (a MongoDB ObjectId).
 */
export type BatchKey = unknown;

/**
 * Where a batched step takes its items from, in key order. `read` returns at most `size` items
 * whose key is greater than `after` (all from the start when `after` is undefined) and, when
 * `until` is given, not greater than `until` (a rollback of a half-done unit stops at the
 * checkpoint); fewer than `size` items means the source is exhausted.
 *
 * @example A custom source over any paginated API.
 * ```ts
 * import type { BatchSource } from 'mongock';
 * const numbers: BatchSource<number, object> = {
 *   async read(_ctx, after, size) { const from = typeof after === 'number' ? after + 1 : 0; return Array.from({ length: Math.max(0, Math.min(size, 100 - from)) }, (_, i) => from + i); },
 *   keyOf: (n) => n,
 * };
 * ```
 */
export interface BatchSource<TItem = unknown, TContext = object> {
  read(context: TContext, after: BatchKey | undefined, size: number, until?: BatchKey): Promise<readonly TItem[]>;
  keyOf(item: TItem): BatchKey;
  /** A cheap estimate of how many items there are (a `COUNT`, `countDocuments`), read once when the unit starts. */
  estimate?(context: TContext): Promise<number | undefined>;
  /** Text form of a key for the checkpoint. Default `JSON.stringify`. */
  encodeKey?(key: BatchKey): string;
  /** Inverse of `encodeKey`. Default `JSON.parse`. */
  decodeKey?(text: string): BatchKey;
  /** What it reads, for messages and the checksum (e.g. `collection users by _id where {...}`). */
  readonly description?: string;
}

/** A pause between batches: fixed milliseconds, or `{ adaptive: f }` = f × the last batch's duration. */
export type BatchPause = number | { readonly adaptive: number };

/**
 * What `batched()` takes: where the items come from, how many per batch, what to do with each batch,
 * and the pause between batches.
 */
export interface BatchedOptions<TItem, TContext> {
  readonly source: BatchSource<TItem, TContext>;
  /** Items per batch (and per transaction). */
  readonly size: number;
  /** Called once per batch, inside the batch's transaction when the connection has transactions. */
  readonly apply: (batch: readonly TItem[], context: TContext) => unknown;
  /** Default 0. */
  readonly pauseMs?: BatchPause;
}

/** The frozen value `batched()` returns, used as a unit's `execute` or `rollback`. */
export interface Batched<TContext = object> {
  /**
   * Tells a batched step from a change function. A string, not a symbol key: each entry point's
   * bundled declarations would declare a symbol of their own, and a unit typed through `mongock`
   * would then not fit a parameter typed through `mongock/nestjs`.
   */
  readonly kind: 'batched';
  readonly source: BatchSource<unknown, TContext>;
  readonly size: number;
  readonly apply: (batch: readonly unknown[], context: TContext) => unknown;
  readonly pauseMs: BatchPause;
}

// Recognised at run time by a registry-wide symbol, so that the ESM and CommonJS builds recognise each other's.
const BATCHED = Symbol.for('mongock.batched');

/** The largest batch: one batch is one transaction and one checkpoint, and must fit in memory. */
export const MAX_BATCH_SIZE = 100_000;

/**
 * A batched step: the runner reads `source` in key order, `size` items at a time, calls `apply`
 * for each batch and records a checkpoint after it (in the batch's transaction where there is
 * one), so that a killed or time-boxed run resumes after the last checkpoint. See
 * docs/batched-changes.md. Validated when the units load (`INVALID_CHANGE_UNIT`).
 *
 * @example
 * ```ts
 * import type { ObjectId } from 'mongodb';
 * import { batched, defineChangeUnit } from 'mongock';
 * import { collectionSource, type MongoChangeContext } from 'mongock/mongodb';
 * export default defineChangeUnit<MongoChangeContext>({
 *   id: 'lowercase-emails', order: '010', author: 'data',
 *   execute: batched({
 *     source: collectionSource({ collection: 'users' }),
 *     size: 1_000,
 *     async apply(batch, { db, session }) {
 *       const users = batch as { _id: ObjectId; email: string }[];
 *       await db.collection('users').bulkWrite(users.map((u) => ({ updateOne: { filter: { _id: u._id }, update: { $set: { email: u.email.toLowerCase() } } } })), { session });
 *     },
 *   }),
 *   async rollback() {},
 * });
 * ```
 */
export function batched<TItem = Record<string, unknown>, TContext = Record<string, never> & Readonly<Record<string, unknown>>>(
  options: BatchedOptions<TItem, TContext>,
): Batched<TContext> {
  return Object.freeze({
    [BATCHED]: true,
    kind: 'batched' as const,
    source: options?.source as unknown as BatchSource<unknown, TContext>,
    size: options?.size,
    apply: options?.apply as Batched<TContext>['apply'],
    pauseMs: options?.pauseMs ?? 0,
  });
}

export function isBatched(value: unknown): value is Batched<never> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BATCHED] === true;
}

/** What is wrong with a batched step, one message each (empty when valid). `label` names the unit and file. */
export function batchedProblems(label: string, key: string, value: Batched<never>): string[] {
  const problems: string[] = [];
  const { source, size, apply, pauseMs } = value;
  if (typeof source !== 'object' || source === null || typeof source.read !== 'function' || typeof source.keyOf !== 'function') {
    problems.push(`${label}: '${key}' is batched() without a source: give source: collectionSource(...), tableSource(...), or { read, keyOf }.`);
  } else if (source.estimate !== undefined && typeof source.estimate !== 'function') {
    problems.push(`${label}: '${key}' source's 'estimate' must be a function.`);
  }
  if (!(Number.isInteger(size) && size >= 1 && size <= MAX_BATCH_SIZE))
    problems.push(`${label}: '${key}' batched() 'size' must be a whole number from 1 to ${MAX_BATCH_SIZE}; got ${JSON.stringify(size)}.`);
  if (typeof apply !== 'function') problems.push(`${label}: '${key}' batched() needs an apply(batch, context) function.`);
  if (!validPause(pauseMs))
    problems.push(`${label}: '${key}' batched() 'pauseMs' must be milliseconds >= 0 or { adaptive: factor >= 0 }; got ${JSON.stringify(pauseMs)}.`);
  return problems;
}

function validPause(pause: unknown): boolean {
  if (typeof pause === 'number') return Number.isFinite(pause) && pause >= 0;
  if (typeof pause !== 'object' || pause === null) return false;
  const factor = (pause as { adaptive?: unknown }).adaptive;
  return typeof factor === 'number' && Number.isFinite(factor) && factor >= 0;
}

/** What the checksum of a batched step hashes: its apply function (a new size, pause or source is not a change to what is applied). */
export function batchedText(value: Batched<never>): string {
  return Function.prototype.toString.call(value.apply);
}
