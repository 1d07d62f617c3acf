/**
 * The MongoDB commands a declarative unit file may list (docs/declarative-units.md), each
 * checked before anything runs. One command is an object with exactly one command key naming
 * the collection, plus that command's fields.
 */
export type MongoCommandName = 'createCollection' | 'createIndexes' | 'insert' | 'update' | 'delete' | 'dropCollection' | 'dropIndex';

export const MONGO_COMMANDS: readonly MongoCommandName[] = Object.freeze([
  'createCollection',
  'createIndexes',
  'insert',
  'update',
  'delete',
  'dropCollection',
  'dropIndex',
]);

/** The fields each command accepts besides its command key, and whether each is required. */
const FIELDS: Readonly<Record<MongoCommandName, Readonly<Record<string, 'object' | 'array' | 'boolean' | 'string'>>>> = {
  createCollection: { options: 'object' },
  createIndexes: { indexes: 'array' },
  insert: { documents: 'array' },
  update: { filter: 'object', apply: 'object', multi: 'boolean', upsert: 'boolean' },
  delete: { filter: 'object', multi: 'boolean' },
  dropCollection: {},
  dropIndex: { index: 'string' },
};
const REQUIRED: Readonly<Record<MongoCommandName, readonly string[]>> = {
  createCollection: [],
  createIndexes: ['indexes'],
  insert: ['documents'],
  update: ['filter', 'apply'],
  delete: ['filter'],
  dropCollection: [],
  dropIndex: ['index'],
};

export interface MongoCommand {
  readonly command: MongoCommandName;
  readonly collection: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

/** Checks one list entry; problems name the list and the position (`changes[2]`). */
export function parseCommand(raw: unknown, where: string, problems: string[]): MongoCommand | undefined {
  if (!isObject(raw)) {
    problems.push(`${where} must be an object such as { "insert": "users", "documents": [...] }; got ${kindOf(raw)}.`);
    return undefined;
  }
  const names = Object.keys(raw).filter((key) => MONGO_COMMANDS.includes(key as MongoCommandName)) as MongoCommandName[];
  if (names.length !== 1) {
    const unknown = Object.keys(raw).filter((key) => !Object.values(FIELDS).some((fields) => key in fields));
    problems.push(
      names.length === 0
        ? `${where} names no known command${unknown.length === 0 ? '' : ` (unknown: ${unknown.map((key) => `'${key}'`).join(', ')})`}; use one of ${MONGO_COMMANDS.join(', ')}.`
        : `${where} names ${names.length} commands (${names.join(', ')}); give one per entry.`,
    );
    return undefined;
  }
  const command = names[0]!;
  const collection = raw[command];
  const before = problems.length;
  if (typeof collection !== 'string' || collection === '') problems.push(`${where}: '${command}' must name a collection; got ${JSON.stringify(collection)}.`);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === command) continue;
    const expected = FIELDS[command][key];
    if (expected === undefined) {
      const allowed = Object.keys(FIELDS[command]);
      problems.push(`${where}: '${command}' takes no field '${key}'${allowed.length === 0 ? '' : `; it takes ${allowed.join(', ')}`}.`);
    } else if (kindOf(value) !== expected)
      problems.push(
        `${where}: '${key}' of '${command}' must be ${expected === 'array' || expected === 'object' ? `an ${expected}` : `a ${expected}`}; got ${kindOf(value)}.`,
      );
    else fields[key] = value;
  }
  for (const key of REQUIRED[command]) if (!(key in raw)) problems.push(`${where}: '${command}' needs '${key}'.`);
  if (command === 'insert' && Array.isArray(raw.documents) && !raw.documents.every(isObject))
    problems.push(`${where}: every entry of 'documents' must be an object.`);
  if (command === 'createIndexes' && Array.isArray(raw.indexes) && !raw.indexes.every((index) => isObject(index) && isObject(index.key)))
    problems.push(`${where}: every entry of 'indexes' must be an object with a 'key', e.g. { "key": { "email": 1 }, "unique": true }.`);
  return problems.length === before ? { command, collection: collection as string, fields } : undefined;
}

/** What the MongoDB driver's context offers: its (lock-guarded) database and, in a transaction, the session. */
interface MongoTarget {
  readonly db: {
    collection(name: string): MongoCollection;
    createCollection(name: string, options?: object): Promise<unknown>;
    dropCollection(name: string, options?: object): Promise<unknown>;
  };
  readonly session: unknown;
}

interface MongoCollection {
  createIndexes(indexes: object[], options?: object): Promise<unknown>;
  insertMany(documents: object[], options?: object): Promise<unknown>;
  updateOne(filter: object, update: object, options?: object): Promise<unknown>;
  updateMany(filter: object, update: object, options?: object): Promise<unknown>;
  deleteOne(filter: object, options?: object): Promise<unknown>;
  deleteMany(filter: object, options?: object): Promise<unknown>;
  dropIndex(name: string, options?: object): Promise<unknown>;
}

/** The MongoDB handles of a change context (`{ db, session }`), or undefined for other drivers. */
export function mongoTargetOf(context: object): MongoTarget | undefined {
  const db = (context as { db?: unknown }).db;
  return typeof db === 'object' && db !== null && typeof (db as { collection?: unknown }).collection === 'function' ? (context as MongoTarget) : undefined;
}

/** Runs one checked command with the unit's session (when it has one). */
export async function runCommand(target: MongoTarget, { command, collection, fields }: MongoCommand): Promise<void> {
  const options = target.session === undefined ? {} : { session: target.session };
  const handle = () => target.db.collection(collection);
  switch (command) {
    case 'createCollection':
      await target.db.createCollection(collection, { ...(fields.options as object | undefined), ...options });
      return;
    case 'createIndexes':
      await handle().createIndexes(fields.indexes as object[], options);
      return;
    case 'insert':
      await handle().insertMany(fields.documents as object[], options);
      return;
    case 'update': {
      const args = [fields.filter as object, fields.apply as object, { upsert: fields.upsert === true, ...options }] as const;
      await (fields.multi === true ? handle().updateMany(...args) : handle().updateOne(...args));
      return;
    }
    case 'delete':
      await (fields.multi === true ? handle().deleteMany(fields.filter as object, options) : handle().deleteOne(fields.filter as object, options));
      return;
    case 'dropCollection':
      await target.db.dropCollection(collection, options);
      return;
    case 'dropIndex':
      await handle().dropIndex(fields.index as string, options);
      return;
  }
}
