import type { ClientSession, Collection, Db, Document, IndexSpecification } from 'mongodb';
import type { ChangeEntry, NewChangeEntry } from '../../history/change-entry.ts';
import { CarriedEntries, keyOf } from './mongodb-carried-entries.ts';
import { type MongoCollectionSettings, serverNow } from './mongodb-client.ts';
import { entryFromDocument } from './mongodb-history-document.ts';
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
 * written as a 64-bit integer and `errorTrace` as a JSON string, as Java writes them.
 *
 * Checksums live in a collection of ours next to it, `<history>.checksums`, one document per
 * entry key: Java Mongock re-saves every history entry in its 13-field shape (dropping any field
 * it does not know) the first time it meets a history without its system entries, and it never
 * touches a collection it does not know. The entry keeps a `checksum` field too, for readers of
 * the history alone; on read the companion fills in what a Java re-save erased.
 */
export class MongoHistory {
  readonly #db: Db;
  readonly #collection: Collection;
  readonly #checksums: Collection;
  /** Companion documents of entries saved outside a transaction, by key, not written yet. */
  readonly #unkept = new Map<string, Document>();
  /** Entries carried in the lock document until they are written here in one insert (see CarriedEntries). */
  readonly carried = new CarriedEntries((documents, recovered) => this.#insertEntries(documents, recovered));

  constructor(db: Db, name: string, settings: MongoCollectionSettings) {
    this.#db = db;
    this.#collection = db.collection(name, settings);
    this.#checksums = db.collection(`${name}${CHECKSUMS_SUFFIX}`, settings);
  }

  /**
   * Every entry in insertion order, oldest first; empty when the collection does not exist. The
   * server assigns `_id` to an upserted document, and its ObjectIds grow (seconds, then a
   * counter), so `_id` order is the order the server recorded them, whatever the runners' clocks.
   * `carried`: entries a holder recorded in the lock document and has not written here yet
   * (newer than every entry here); a key already here is read from here. They are awaited before
   * the history is read, never beside it: a holder writes carried entries here and only then
   * clears them from the lock document, so read in that order an entry is in one or the other;
   * read side by side, one written here after the history's read and cleared before the lock's
   * would be in neither.
   */
  async read(carried: Promise<readonly Document[]> = Promise.resolve([])): Promise<ChangeEntry[]> {
    const extra = await carried;
    // promoteLongs: a 64-bit executionMillis reads as a number whatever the client's own settings.
    const stored = await this.#collection.find({}, { sort: { _id: 1 }, promoteLongs: true, useBigInt64: false }).toArray();
    const documents = extra.length === 0 ? stored : withCarried(stored, extra);
    // The companion only fills in what a Java re-save erased: when every entry still carries its
    // checksum (every history this package alone wrote), the start-up reads the history alone.
    const where = `${this.#db.databaseName}.${this.#collection.collectionName}`;
    if (documents.every((document) => typeof document.checksum === 'string')) return documents.map((document) => entryFromDocument(document, where));
    const kept = new Map<string, string>();
    for (const document of await this.#checksums.find({}, { projection: { _id: 0 } }).toArray())
      if (typeof document.checksum === 'string') kept.set(keyOf(document), document.checksum);
    return documents.map((document) => entryFromDocument(document.checksum == null ? { ...document, checksum: kept.get(keyOf(document)) } : document, where));
  }

  /**
   * Creates the unique indexes (and with them the collections); idempotent, safe when processes
   * race. Copies the `checksum` fields of entries written before the companion existed (or whose
   * companion a crash left unwritten) into it: only when the companion has fewer documents than
   * the history has checksums, so that a run over a long history does not rewrite it each time.
   */
  async create(): Promise<void> {
    await ensureUniqueIndex(this.#collection, HISTORY_INDEX);
    await ensureUniqueIndex(this.#checksums, CHECKSUMS_INDEX);
    const [withChecksum, kept] = await Promise.all([this.#collection.countDocuments({ checksum: { $type: 'string' } }), this.#checksums.countDocuments({})]);
    if (withChecksum <= kept) return;
    const older = await this.#collection
      .find({ checksum: { $type: 'string' } }, { projection: { executionId: 1, author: 1, changeId: 1, checksum: 1 } })
      .toArray();
    if (older.length === 0) return;
    // Inserted, not upserted: a present key is refused by the unique index and left as it is.
    await this.#insertNew(older.map(({ executionId, author, changeId, checksum }) => ({ executionId, author, changeId, checksum })));
  }

  /**
   * Saves by (executionId, author, changeId), as Java Mongock's `saveOrUpdate`; inside
   * `session`'s transaction when given (replace-upsert: a failed insert would abort it).
   *
   * Outside a transaction a new entry (the common case) is one `insertOne`; only a key seen
   * before (a rollback recorded over a failure, an accepted checksum) is replaced. A replace-upsert
   * filtered on the three fields is answered by a collection scan on FerretDB, which does not use
   * the compound index for it: its cost grew with the history, one scan per unit.
   *
   * With `fence` (writes outside a transaction, where the lease check and this write are two
   * operations), the entry records the lock fence it was written under and never replaces one
   * written under a newer fence: a holder resumed after its lease was taken over gets `false`
   * (the unique index refuses the upsert) instead of overwriting the new holder's entry.
   * `timestamp` (a BSON date, as Java reads it) is the server's clock (`serverNow`); `_id` is
   * assigned by the server on insert.
   */
  async save(newEntry: NewChangeEntry, session?: ClientSession, fence?: number): Promise<boolean> {
    const entry: ChangeEntry = { ...newEntry, timestamp: newEntry.timestamp ?? (await serverNow(this.#db)) };
    const carried = session === undefined && fence !== undefined && this.carried.take({ ...toDocument(entry), lockFence: fence });
    // Written directly: what is carried goes first, so that the history keeps the order entries were made in.
    if (!carried && session === undefined) await this.carried.flush();
    const written = carried || (await this.#write(entry, session, fence));
    if (!written || entry.checksum == null) return written;
    const kept = { executionId: entry.executionId, author: entry.author, changeId: entry.changeId, checksum: entry.checksum };
    // In a transaction the companion is written with the entry; outside one it waits for
    // {@link MongoHistory.flushChecksums}, one write per run instead of one per unit.
    if (session === undefined) this.#unkept.set(keyOf(kept), kept);
    else await this.#checksums.updateOne(keyFields(kept), { $set: kept }, { upsert: true, session });
    return written;
  }

  /**
   * Writes the companion checksums of the entries saved outside a transaction, in one command;
   * the driver calls it before the lock is released (and at close). An entry whose companion a
   * crash left unwritten still has its `checksum` field, which {@link MongoHistory.create} copies.
   */
  async flushChecksums(): Promise<void> {
    if (this.#unkept.size === 0) return;
    const kept = [...this.#unkept.values()];
    this.#unkept.clear();
    // The entries were new keys, so their companions almost always are: one unordered insert.
    // An upsert filtered on the three fields is a collection scan per document on FerretDB (it
    // took 21 s for 300 units); only a key already kept is updated, one by one.
    const present = await this.#insertNew(kept);
    for (const document of present) await this.#checksums.updateOne(keyFields(document), { $set: document }, { upsert: true });
  }

  /** Inserts the documents in one unordered command; returns those whose key was already there. */
  async #insertNew(documents: Document[]): Promise<Document[]> {
    try {
      await this.#checksums.insertMany(
        documents.map((document) => ({ ...document })),
        { ordered: false },
      );
      return [];
    } catch (error) {
      return duplicatesOf(error, documents);
    }
  }

  /**
   * Carried entries in one unordered insert (the server makes each `_id`, in the list's order).
   * A key already present was, for `recovered` entries (re-sent from a lock document), written by
   * an earlier flush: left as it is. For this run's own, it is a key seen before: replaced as
   * a direct save replaces it, never over an entry of a newer fence.
   */
  async #insertEntries(documents: readonly Document[], recovered: boolean): Promise<void> {
    let present: Document[];
    try {
      await this.#collection.insertMany(
        documents.map((document) => ({ ...document })),
        { ordered: false, forceServerObjectId: true },
      );
      return;
    } catch (error) {
      present = duplicatesOf(error, documents);
    }
    if (recovered) return;
    for (const document of present) await this.#replace(keyFields(document), document, document.lockFence as number | undefined);
  }

  async #write(entry: ChangeEntry, session: ClientSession | undefined, fence: number | undefined): Promise<boolean> {
    const key = { executionId: entry.executionId, author: entry.author, changeId: entry.changeId };
    if (session !== undefined) {
      await this.#collection.replaceOne(key, toDocument(entry), { upsert: true, session });
      return true;
    }
    const document = fence === undefined ? toDocument(entry) : { ...toDocument(entry), lockFence: fence };
    try {
      // The server makes the `_id` (the driver would stamp it with this host's clock, and `_id`
      // order is the history's order). A copy: insertOne may add `_id` to the document it is given.
      await this.#collection.insertOne({ ...document }, { forceServerObjectId: true });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    return this.#replace(key, document, fence);
  }

  /** Replaces a present key's entry; with `fence`, never one written under a newer fence (false then). */
  async #replace(key: Document, document: Document, fence: number | undefined): Promise<boolean> {
    if (fence === undefined) {
      await this.#collection.replaceOne(key, document, { upsert: true });
      return true;
    }
    try {
      await this.#collection.replaceOne({ ...key, $or: [{ lockFence: { $exists: false } }, { lockFence: { $lte: fence } }] }, document, { upsert: true });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }
}

/** `<history>.checksums`: ours, so Java Mongock neither rewrites it nor drops its index. */
export const CHECKSUMS_SUFFIX = '.checksums';

const CHECKSUMS_INDEX: { readonly name: string; readonly keys: IndexSpecification } = Object.freeze({
  name: 'executionId_1_author_1_changeId_1',
  keys: Object.freeze({ executionId: 1, author: 1, changeId: 1 }),
});

function keyFields(document: Document): Document {
  return { executionId: document.executionId, author: document.author, changeId: document.changeId };
}

/** The documents an unordered insert refused as duplicate keys; rethrows any other failure. */
function duplicatesOf(error: unknown, documents: readonly Document[]): Document[] {
  const failed = (error as { writeErrors?: unknown }).writeErrors;
  const list = Array.isArray(failed) ? failed : failed === undefined ? [] : [failed];
  if (list.length === 0 || !list.every((writeError) => isDuplicateKey(writeError))) throw error;
  return list.map((writeError) => documents[(writeError as { index: number }).index] as Document);
}

/** The history's documents followed by the carried ones it does not have yet. */
function withCarried(stored: readonly Document[], carried: readonly Document[]): Document[] {
  const present = new Set(stored.map(keyOf));
  return [...stored, ...carried.filter((document) => !present.has(keyOf(document)))];
}

function isDuplicateKey(error: unknown): boolean {
  // FerretDB on SQLite may report the bare SQLite constraint failure.
  // A bulk write's WriteError is no Error: its text is `errmsg`.
  const message = error instanceof Error ? error.message : String((error as { errmsg?: unknown } | null)?.errmsg ?? '');
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY || /UNIQUE constraint failed/i.test(message);
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
