import type { Document } from 'mongodb';
import { MongockError } from '../../errors/mongock-error.ts';
import { CHANGE_STATES, type ChangeEntry } from '../../history/change-entry.ts';
import { normaliseEntry } from '../../history/is-executed.ts';

/** What is wrong with a history document's fields, or undefined when Mongock can read it. */
function problemOf(document: Document): { field: string; problem: string } | undefined {
  const { changeId, author, executionId, state, metadata, timestamp, executionMillis } = document;
  if (typeof changeId !== 'string' || changeId === '') return { field: 'changeId', problem: 'is not a non-empty string' };
  if (author != null && typeof author !== 'string') return { field: 'author', problem: 'is not a string' };
  if (executionId != null && typeof executionId !== 'string') return { field: 'executionId', problem: 'is not a string' };
  if (state != null && !CHANGE_STATES.includes(state)) return { field: 'state', problem: `is not one of ${CHANGE_STATES.join(', ')}` };
  if (metadata != null && (typeof metadata !== 'object' || Array.isArray(metadata))) return { field: 'metadata', problem: 'is not an object' };
  if (timestamp != null && Number.isNaN((timestamp instanceof Date ? timestamp : new Date(String(timestamp))).getTime()))
    return { field: 'timestamp', problem: 'is not a date' };
  if (executionMillis != null && !Number.isFinite(Number(executionMillis))) return { field: 'executionMillis', problem: 'is not a number' };
  return undefined;
}

function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `ObjectId("...")` for an ObjectId `_id`, else the value as JSON, as a mongosh filter writes it. */
function idLiteral(id: unknown): string {
  const hex = (id as { toHexString?: () => string } | null)?.toHexString?.();
  return typeof hex === 'string' ? `ObjectId("${hex}")` : (JSON.stringify(id) ?? String(id));
}

/**
 * A history document read back as an entry. Java Mongock 3/4/5 shapes are read (missing `state`,
 * `type`, `executionMillis` take their defaults); a field of the wrong kind (a hand edit, another
 * tool's document) is a `CORRUPT_RECORD` naming the collection and the document's `_id`, never an
 * entry with a made-up id or state. `collection` is `database.collection`.
 */
export function entryFromDocument(document: Document, collection: string): ChangeEntry {
  const wrong = problemOf(document);
  if (wrong === undefined) return normaliseEntry(document);
  const id = idLiteral(document._id);
  const change = typeof document.changeId === 'string' && document.changeId !== '' ? ` (change '${document.changeId}' by '${String(document.author)}')` : '';
  throw new MongockError(
    'CORRUPT_RECORD',
    `The history collection ${collection} holds a document Mongock cannot read: _id ${id}${change} has ${/^[aeiou]/.test(wrong.field) ? 'an' : 'a'} ${wrong.field} that ${wrong.problem} (${shown(document[wrong.field])}). Nothing was run. ` +
      `Fix that document's ${wrong.field} (mongosh: db.getCollection("${collection.slice(collection.indexOf('.') + 1)}").updateOne({ _id: ${id} }, { $set: { ${wrong.field}: ... } })), or delete the document if it is not Mongock's.`,
    typeof document.changeId === 'string' ? { changeId: document.changeId } : {},
  );
}
