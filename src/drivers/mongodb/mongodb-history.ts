import type { ClientSession, Collection, Db, Document, IndexSpecification } from 'mongodb';
import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import { normaliseEntry } from '../../history/is-executed.ts';
import { type MongoCollectionSettings, serverNow } from './mongodb-client.ts';
import { ensureUniqueIndex } from './mongodb-indexes.ts';

/** Java Mongock's index on the history collection, by its name and keys. */
export const HISTORY_INDEX: { readonly name: string; readonly keys: IndexSpecification } = Object.freeze({
  name: 'executionId_1_author_1_changeId_1',
  keys: Object.freeze({ executionId: 1, author: 1, changeId: 1 }),
});

const DUPLICATE_KEY = 11000;

/**
 * The history collection (`mongockChangeLog`): one document per (executionId, author, changeId)
 * in Java Mongock 5's shape, so that either side reads the other's entries. `executionMillis` is
 * written as a 64-bit integer and `errorTrace` as a JSON string, as Java writes them; `checksum`
 * is ours and optional (Java drops it when it re-saves the history).
 */
export class MongoHistory {
  readonly #db: Db;
  readonly #collection: Collection;

  constructor(db: Db, name: string, settings: MongoCollectionSettings) {
    this.#db = db;
    this.#collection = db.collection(name, settings);
  }

  /**
   * Every entry in insertion order, oldest first; empty when the collection does not exist. The
   * server assigns `_id` to an upserted document, and its ObjectIds grow (seconds, then a
   * counter), so `_id` order is the order the server recorded them, whatever the runners' clocks.
   */
  async read(): Promise<ChangeEntry[]> {
    // promoteLongs: a 64-bit executionMillis reads as a number whatever the client's own settings.
    const documents = await this.#collection.find({}, { sort: { _id: 1 }, promoteLongs: true, useBigInt64: false }).toArray();
    return documents.map((document) => normaliseEntry(document));
  }

  /** Creates the unique index (and with it the collection); idempotent, safe when processes race. */
  async create(): Promise<void> {
    await ensureUniqueIndex(this.#collection, HISTORY_INDEX);
  }

  /**
   * Replace-upsert by (executionId, author, changeId), as Java Mongock's `saveOrUpdate`; inside
   * `session`'s transaction when given. With `fence` (writes outside a transaction, where the
   * lease check and this write are two operations), the entry records the lock fence it was
   * written under and never replaces one written under a newer fence: a holder resumed after its
   * lease was taken over gets `false` (the unique index refuses the upsert) instead of
   * overwriting the new holder's entry. `timestamp` (a BSON date, as Java reads it) is the
   * server's clock (`serverNow`); `_id` is assigned by the server on insert.
   */
  async save(newEntry: NewChangeEntry, session?: ClientSession, fence?: number): Promise<boolean> {
    const entry: ChangeEntry = { ...newEntry, timestamp: newEntry.timestamp ?? (await serverNow(this.#db)) };
    const key = { executionId: entry.executionId, author: entry.author, changeId: entry.changeId };
    if (fence === undefined) {
      await this.#collection.replaceOne(key, toDocument(entry), { upsert: true, ...(session === undefined ? {} : { session }) });
      return true;
    }
    try {
      await this.#collection.replaceOne(
        { ...key, $or: [{ lockFence: { $exists: false } }, { lockFence: { $lte: fence } }] },
        { ...toDocument(entry), lockFence: fence },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }
}

/** Java Mongock 5's 13 fields, in its order, plus our optional checksum. */
function toDocument(entry: ChangeEntry): Document {
  const document: Document = {
    executionId: entry.executionId,
    changeId: entry.changeId,
    author: entry.author,
    timestamp: entry.timestamp,
    state: entry.state,
    type: entry.type,
    changeLogClass: entry.changeLogClass,
    changeSetMethod: entry.changeSetMethod,
    metadata: entry.metadata,
    // A bigint is written as BSON int64 (Java's `long`) by every bson ≥ 5, whichever copy of the
    // mongodb package the client comes from (a `Long` instance from another major would be refused).
    executionMillis: BigInt(Math.round(entry.executionMillis)),
    executionHostname: entry.executionHostname,
    errorTrace: entry.errorTrace,
    systemChange: entry.systemChange,
  };
  if (entry.checksum != null) document.checksum = entry.checksum;
  return document;
}
