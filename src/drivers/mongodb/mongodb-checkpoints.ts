import type { ClientSession, Collection, Db, Document } from 'mongodb';
import { MongockError } from '../../errors/mongock-error.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import type { MongoCollectionSettings } from './mongodb-client.ts';
import { ensureUniqueIndex } from './mongodb-indexes.ts';

const CHECKPOINT_INDEX = Object.freeze({ name: 'changeId_1_author_1', keys: Object.freeze({ changeId: 1, author: 1 }) });
const DUPLICATE_KEY = 11000;

/**
 * The checkpoints of batched steps: a collection named after the history plus `_checkpoints`
 * (`mongockChangeLog_checkpoints`), one document per (changeId, author) with a unique index,
 * created under the lock before the first batch of a run that has one. Java Mongock never reads it.
 */
export class MongoCheckpoints {
  readonly #collection: Collection;

  constructor(db: Db, name: string, settings: MongoCollectionSettings) {
    this.#collection = db.collection(name, settings);
  }

  async prepare(): Promise<void> {
    await ensureUniqueIndex(this.#collection, CHECKPOINT_INDEX);
  }

  async read(): Promise<BatchCheckpoint[]> {
    const documents = await this.#collection.find({}, { projection: { _id: 0 }, promoteLongs: true, useBigInt64: false }).toArray();
    return documents.map((document) => fromDocument(document, this.#collection.collectionName));
  }

  /**
   * In `session`'s transaction when given. Outside one, with `fence`: the document records the
   * lock fence it was written under and never replaces one written under a newer fence (the unique
   * index refuses the upsert), so a holder resumed after its lease was taken over gets `false`.
   */
  async save(checkpoint: BatchCheckpoint, session?: ClientSession, fence?: number): Promise<boolean> {
    const key = { changeId: checkpoint.changeId, author: checkpoint.author };
    const document = { ...checkpoint, ...(fence === undefined ? {} : { lockFence: fence }) };
    if (session !== undefined || fence === undefined) {
      await this.#collection.replaceOne(key, document, { upsert: true, ...(session === undefined ? {} : { session }) });
      return true;
    }
    try {
      await this.#collection.replaceOne({ ...key, $or: [{ lockFence: { $lte: fence } }, { lockFence: { $exists: false } }] }, document, { upsert: true });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === DUPLICATE_KEY || /duplicate key|UNIQUE constraint/i.test(String((error as Error).message))) return false;
      throw error;
    }
  }
}

function fromDocument(document: Document, collection: string): BatchCheckpoint {
  const { direction, state } = document;
  if ((direction !== 'execute' && direction !== 'rollback') || (state !== 'running' && state !== 'done') || typeof document.changeId !== 'string') {
    throw new MongockError(
      'CORRUPT_RECORD',
      `The checkpoint of change '${String(document.changeId)}' by '${String(document.author)}' in collection '${collection}' cannot be read (direction ${JSON.stringify(direction)}, state ${JSON.stringify(state)}). ` +
        'Delete that document to start the batched unit from the beginning.',
      { changeId: String(document.changeId) },
    );
  }
  return {
    changeId: document.changeId,
    author: String(document.author),
    direction,
    executionId: String(document.executionId),
    lastKey: document.lastKey ?? null,
    untilKey: document.untilKey ?? null,
    batches: Number(document.batches),
    processed: Number(document.processed),
    estimatedTotal: document.estimatedTotal == null ? null : Number(document.estimatedTotal),
    state,
    startedAt: new Date(document.startedAt),
    updatedAt: new Date(document.updatedAt),
  };
}
