import type { Collection, IndexSpecification } from 'mongodb';
import { MongockError } from '../../errors/mongock-error.ts';

export interface UniqueIndex {
  readonly name: string;
  readonly keys: IndexSpecification;
}

const DUPLICATE_KEY = 11000;
/** IndexOptionsConflict, IndexKeySpecsConflict: an index by that name or on those keys exists with other options. */
const CONFLICTS = new Set([85, 86]);

/**
 * Creates a unique index unless an equivalent one (same keys, unique) exists, whatever its
 * name. `createIndex` is idempotent on MongoDB, but concurrent first calls on a new collection
 * can still fail on some servers (collection creation races), so a failure is checked against
 * what exists and retried a few times.
 */
export async function ensureUniqueIndex(collection: Collection, index: UniqueIndex): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await collection.createIndex(index.keys, { unique: true, name: index.name });
      return;
    } catch (error) {
      if (await hasEquivalent(collection, index).catch(() => false)) return;
      const code = (error as { code?: unknown }).code;
      // FerretDB (SQLite backend) reports the same problem as a bare SQLite constraint failure.
      if (code === DUPLICATE_KEY || /UNIQUE constraint failed/i.test((error as Error).message)) {
        throw new MongockError(
          'DRIVER_ERROR',
          `Cannot create the unique index ${index.name} on '${collection.collectionName}': the collection holds several documents with the same ${describeKeys(index)}. ` +
            `It was changed by hand or by another tool; remove the duplicates (or the collection, if it holds only a stale lock) and run again.`,
          { cause: error },
        );
      }
      if (typeof code === 'number' && CONFLICTS.has(code)) {
        throw new MongockError(
          'DRIVER_ERROR',
          `Cannot create the unique index ${index.name} on '${collection.collectionName}': an index with that name or on ${describeKeys(index)} exists with other options. Drop it and run again.`,
          { cause: error },
        );
      }
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

async function hasEquivalent(collection: Collection, index: UniqueIndex): Promise<boolean> {
  const wanted = JSON.stringify(index.keys);
  const existing = await collection.indexes();
  return existing.some((candidate) => candidate.unique === true && JSON.stringify(candidate.key) === wanted);
}

function describeKeys(index: UniqueIndex): string {
  return Object.keys(index.keys).join(', ');
}
