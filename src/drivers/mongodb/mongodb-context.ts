import type { ClientSession, Db, MongoClient } from 'mongodb';
import type { BaseChangeContext } from '../../change/change-unit.ts';
import type { LockGuard } from '../driver.ts';

/**
 * What change units receive from the MongoDB driver.
 *
 * - `db`: the migration's database, lock-guarded: every operation made through it (and through
 *   the collections, cursors and bulk operations it returns) first makes sure the runner still
 *   holds the lock, renewing it when due, and fails the unit if it does not.
 * - `session`: in a transactional unit, the transaction's `ClientSession`. Pass it to every
 *   operation (`{ session }`) so that the unit's writes commit with its history entry; operations
 *   without it run outside the transaction. Undefined when the unit runs without a transaction.
 * - `client`: the `MongoClient` (not guarded), for anything else.
 *
 * @example
 * ```ts
 * import { defineChangeUnit } from 'mongock';
 * import type { MongoChangeContext } from 'mongock/mongodb';
 *
 * export default defineChangeUnit<MongoChangeContext>({
 *   id: 'add-status', order: '002', author: 'dev',
 *   async execute({ db, session }) {
 *     await db.collection('users').updateMany({ status: { $exists: false } }, { $set: { status: 'active' } }, { session });
 *   },
 *   async rollback({ db, session }) {
 *     await db.collection('users').updateMany({}, { $unset: { status: '' } }, { session });
 *   },
 * });
 * ```
 */
export interface MongoChangeContext extends BaseChangeContext {
  readonly db: Db;
  readonly client: MongoClient;
  readonly session: ClientSession | undefined;
}

/** Methods that return synchronously (collections, cursors, bulk builders, change streams); every other method returns a promise. */
const SYNC_METHODS: Readonly<Record<'db' | 'collection' | 'cursor' | 'bulk', ReadonlySet<PropertyKey>>> = {
  db: new Set(['collection', 'aggregate', 'listCollections', 'watch', 'admin', 'runCursorCommand']),
  collection: new Set(['find', 'aggregate', 'listIndexes', 'listSearchIndexes', 'watch', 'initializeOrderedBulkOp', 'initializeUnorderedBulkOp']),
  // Cursors and bulk builders are lazy: only these methods reach the server.
  cursor: new Set(),
  bulk: new Set(),
};
const CURSOR_IO = new Set<PropertyKey>(['next', 'tryNext', 'hasNext', 'toArray', 'forEach', 'explain', 'count']);
const BULK_IO = new Set<PropertyKey>(['execute']);

type Kind = keyof typeof SYNC_METHODS | 'admin';

/**
 * Wraps a `Db` so that each database call first awaits `guard.ensure()`, as Java Mongock's
 * lock-guard proxy does. Collections, cursors, bulk operations and the admin handle it returns
 * are wrapped the same way; property reads pass through.
 */
export function guardDb(db: Db, guard: LockGuard): Db {
  return guard_(db, 'db', guard);
}

function guard_<T extends object>(target: T, kind: Kind, guard: LockGuard): T {
  const cache = new Map<PropertyKey, unknown>();
  const proxy: T = new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (cache.has(property)) return cache.get(property);
      const method = value as (...args: unknown[]) => unknown;
      let wrapped: (...args: unknown[]) => unknown;
      if (kind === 'cursor' && property === Symbol.asyncIterator) {
        wrapped = () => guardIterator(method.call(object) as AsyncIterator<unknown>, guard);
      } else if (isIo(kind, property)) {
        wrapped = async (...args: unknown[]) => {
          await guard.ensure();
          return wrapResult(await method.apply(object, args), guard);
        };
      } else {
        wrapped = (...args: unknown[]) => {
          const result = method.apply(object, args);
          // Cursor and bulk builders return themselves for chaining: keep returning the proxy.
          return result === object ? proxy : wrapResult(result, guard);
        };
      }
      cache.set(property, wrapped);
      return wrapped;
    },
  });
  return proxy;
}

function isIo(kind: Kind, property: PropertyKey): boolean {
  if (kind === 'cursor') return CURSOR_IO.has(property);
  if (kind === 'bulk') return BULK_IO.has(property);
  if (kind === 'admin') return true;
  return !SYNC_METHODS[kind].has(property);
}

/** Guards what a method returned when it is a driver object that reaches the server. */
function wrapResult(result: unknown, guard: LockGuard): unknown {
  if (Array.isArray(result)) return result.map((item) => wrapResult(item, guard));
  const kind = kindOf(result);
  return kind === undefined ? result : guard_(result as object, kind, guard);
}

function kindOf(value: unknown): Kind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const has = (name: string) => typeof (value as Record<string, unknown>)[name] === 'function';
  if (has('insertOne') && has('find') && typeof (value as { collectionName?: unknown }).collectionName === 'string') return 'collection';
  if (has('collection') && has('command') && typeof (value as { databaseName?: unknown }).databaseName === 'string') return 'db';
  if (has('toArray') && has('next')) return 'cursor';
  if (has('execute') && (has('insert') || has('find')) && has('addToOperationsList')) return 'bulk';
  if (has('listDatabases') && has('command')) return 'admin';
  return undefined;
}

function guardIterator(iterator: AsyncIterator<unknown>, guard: LockGuard): AsyncIterableIterator<unknown> {
  return {
    async next() {
      await guard.ensure();
      return iterator.next();
    },
    async return(value?: unknown) {
      return iterator.return === undefined ? { done: true, value } : iterator.return(value);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
