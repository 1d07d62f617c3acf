import type { ClientSession, Db, Document, Filter } from 'mongodb';
import type { BatchSource } from '../../change/batched.ts';
import { optionalPackage } from '../shared/optional-package.ts';

interface Ejson {
  stringify(value: unknown, options?: { relaxed?: boolean }): string;
  parse(text: string, options?: { relaxed?: boolean }): unknown;
}

/** Keys go into the checkpoint as canonical Extended JSON: an ObjectId, a Date, a Long come back as themselves. */
const loadEjson = optionalPackage<Ejson>({
  specifier: 'mongodb',
  needs: "collectionSource needs the 'mongodb' package (version 6)",
  install: 'mongodb',
  pick: (module) => (module as { BSON: { EJSON: Ejson } }).BSON.EJSON,
});

/**
 * What `collectionSource()` takes: the collection, the unique field to walk it by, which documents and
 * which fields to read.
 */
export interface CollectionSourceOptions {
  readonly collection: string;
  /** A unique, indexed field to iterate by. Default `_id`. */
  readonly key?: string;
  /** Which documents to visit. Default all. */
  readonly filter?: Filter<Document>;
  /** Fields to read. Default the whole document. */
  readonly projection?: Document;
}

/** What a collection source needs of the change unit's context (the MongoDB driver's). */
export interface CollectionSourceContext {
  readonly db: Db;
  readonly session: ClientSession | undefined;
}

/**
 * A MongoDB collection in key order, for `batched()`: each batch is `find({ ...filter, key:
 * { $gt: last } }).sort({ key: 1 }).limit(size)`, in the batch's session (its transaction when
 * there is one). The estimate is `estimatedDocumentCount()` without a filter (metadata, no scan),
 * else one `countDocuments(filter)` when the unit starts. Keys are kept as canonical EJSON.
 *
 * @example
 * ```ts
 * import type { ObjectId } from 'mongodb';
 * import { batched } from 'mongock';
 * import { collectionSource, type MongoChangeContext } from 'mongock/mongodb';
 * const step = batched<{ _id: ObjectId; email: string }, MongoChangeContext>({
 *   source: collectionSource({ collection: 'users', filter: { email: { $type: 'string' } } }),
 *   size: 1_000,
 *   async apply(batch, { db, session }) {
 *     await db.collection('users').bulkWrite(batch.map((u) => ({ updateOne: { filter: { _id: u._id }, update: { $set: { email: u.email.toLowerCase() } } } })), { session });
 *   },
 * });
 * ```
 */
export function collectionSource<TDocument = Document>(options: CollectionSourceOptions): BatchSource<TDocument, CollectionSourceContext> {
  const key = options.key ?? '_id';
  const filter = options.filter ?? {};
  const filtered = Object.keys(filter).length > 0;
  return Object.freeze({
    description: `collection ${options.collection} by ${key}${filtered ? ` where ${JSON.stringify(filter)}` : ''}`,
    async read({ db, session }: CollectionSourceContext, after: unknown, size: number, until?: unknown): Promise<TDocument[]> {
      const range: Document = {};
      if (after !== undefined) range.$gt = after;
      if (until !== undefined) range.$lte = until;
      const query = Object.keys(range).length === 0 ? filter : filtered ? { $and: [filter, { [key]: range }] } : { [key]: range };
      const cursor = db.collection(options.collection).find(query, {
        sort: { [key]: 1 },
        limit: size,
        ...(options.projection === undefined ? {} : { projection: options.projection }),
        ...(session === undefined ? {} : { session }),
      });
      return (await cursor.toArray()) as TDocument[];
    },
    keyOf: (document: TDocument) => readPath(document as Document, key),
    async estimate({ db, session }: CollectionSourceContext): Promise<number> {
      const collection = db.collection(options.collection);
      // estimatedDocumentCount is refused in a transaction; countDocuments is not.
      if (!filtered && session === undefined) return collection.estimatedDocumentCount();
      return collection.countDocuments(filter, session === undefined ? {} : { session });
    },
    encodeKey: (value: unknown) => loadEjson().stringify({ k: value }, { relaxed: false }),
    decodeKey: (text: string) => (loadEjson().parse(text, { relaxed: false }) as { k: unknown }).k,
  });
}

/** `a.b` reads a nested field, as MongoDB's sort does. */
function readPath(document: Document, path: string): unknown {
  let value: unknown = document;
  for (const part of path.split('.')) value = (value as Document | undefined)?.[part];
  return value;
}
