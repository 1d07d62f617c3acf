import Database from 'better-sqlite3';
import { type Db, type Document, ObjectId } from 'mongodb';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { createTestSchema } from '../support/postgres-harness.ts';
import { type Finished, startScript } from '../support/processes.ts';
import { FERRETDB_URL, POSTGRES_URL } from '../support/servers.ts';
import { createSqliteItems, tempSqliteFile } from '../support/sqlite-harness.ts';
import { type BatchWorkerSpec, UNIT_ID } from './processes/batch-worker-spec.ts';

export { UNIT_ID };
export const BATCH_WORKER = 'test/batches/processes/batch-worker.ts';

export function startBatchWorker(spec: BatchWorkerSpec) {
  return startScript(BATCH_WORKER, [JSON.stringify(spec)]);
}

/** What a batch worker printed: its batches, its crash point, its final JSON line. */
export interface WorkerReport {
  /** Ms since `execute()` when it held the lock, and when the unit started. */
  readonly lockedMs?: number;
  readonly unitStartedMs?: number;
  readonly batches: ReadonlyArray<{ batches: number; processed: number; startMs: number; endMs: number }>;
  readonly crash?: { at: string; batch: number; written: number; first: string; last: string };
  readonly final?: Record<string, unknown>;
}

export function reportOf(finished: Pick<Finished, 'stdout'>): WorkerReport {
  const batches: Array<WorkerReport['batches'][number]> = [];
  let crash: WorkerReport['crash'];
  let final: Record<string, unknown> | undefined;
  let lockedMs: number | undefined;
  let unitStartedMs: number | undefined;
  for (const line of finished.stdout.split('\n')) {
    const words = line.split(' ');
    if (words[0] === 'BATCH') batches.push({ batches: Number(words[1]), processed: Number(words[2]), startMs: Number(words[3]), endMs: Number(words[4]) });
    else if (words[0] === 'CRASH') crash = { at: words[1]!, batch: Number(words[2]), written: Number(words[3]), first: words[4]!, last: words[5]! };
    else if (words[0] === 'LOCKED') lockedMs = Number(words[1]);
    else if (words[0] === 'UNIT-STARTED') unitStartedMs = Number(words[1]);
    else if (line.startsWith('{')) final = JSON.parse(line) as Record<string, unknown>;
  }
  return {
    batches,
    ...(lockedMs === undefined ? {} : { lockedMs }),
    ...(unitStartedMs === undefined ? {} : { unitStartedMs }),
    ...(crash === undefined ? {} : { crash }),
    ...(final === undefined ? {} : { final }),
  };
}

/** The unit's checkpoint as the store holds it; `lastKey` as the worker prints keys (a number, an ObjectId's hex). */
export interface StoredCheckpoint {
  readonly processed: number;
  readonly batches: number;
  readonly lastKey: string | null;
  readonly state: string;
}

/** A table/collection `items` of `total` items with marker `n` = 0, and what the proofs read of it. */
export interface Items {
  readonly driver: BatchWorkerSpec['driver'];
  readonly target: string;
  readonly total: number;
  /** How many items carry each marker value, e.g. `{ 0: 10, 1: 990 }`. */
  markers(): Promise<Record<number, number>>;
  /** The same, for the items whose key is from `first` to `last` (as the worker prints keys). */
  markersBetween(first: string, last: string): Promise<Record<number, number>>;
  checkpoint(): Promise<StoredCheckpoint | undefined>;
  /** How many EXECUTED history entries the unit has. */
  executedEntries(): Promise<number>;
  /** Whether the runner wraps each batch in a transaction there (SQL; MongoDB on a replica set). */
  transactional(): Promise<boolean>;
  /** MongoDB only: the lock document (its in-progress marker and carried entries). */
  lockDocument?(): Promise<Document | null>;
  drop(): Promise<void>;
}

const histogram = (rows: ReadonlyArray<{ n: unknown; c: unknown }>) => Object.fromEntries(rows.map((row) => [Number(row.n), Number(row.c)]));

/** `total` rows `items(id int primary key, n int)` with ids 1..total, made by one `generate_series`. */
export async function postgresItems(total: number): Promise<Items> {
  const schema = await createTestSchema('mongock_batches');
  const items = schema.table('items');
  // The key is indexed after the bulk insert: building it once is cheaper than maintaining it per row.
  await schema.admin.query(`CREATE TABLE ${items} (id int NOT NULL, n int NOT NULL DEFAULT 0)`);
  await schema.admin.query(`INSERT INTO ${items} (id) SELECT g FROM generate_series(1, ${total}) AS g`);
  await schema.admin.query(`ALTER TABLE ${items} ADD PRIMARY KEY (id)`);
  await schema.admin.query(`ANALYZE ${items}`);
  const q = async (text: string, params: unknown[] = []) => (await schema.admin.query(text, params)).rows;
  return {
    driver: 'postgres',
    target: `${POSTGRES_URL}|${schema.schema}`,
    total,
    markers: async () => histogram(await q(`SELECT n, count(*) AS c FROM ${items} GROUP BY n`)),
    markersBetween: async (first, last) =>
      histogram(await q(`SELECT n, count(*) AS c FROM ${items} WHERE id BETWEEN $1 AND $2 GROUP BY n`, [Number(first), Number(last)])),
    async checkpoint() {
      const exists = await q(`SELECT to_regclass($1) IS NOT NULL AS e`, [schema.table('mongock_change_log_checkpoints')]);
      if (exists[0]?.e !== true) return undefined;
      const rows = await q(`SELECT processed, batches, last_key, state FROM ${schema.table('mongock_change_log_checkpoints')} WHERE change_id = $1`, [UNIT_ID]);
      return rows[0] === undefined ? undefined : sqlCheckpoint(rows[0]);
    },
    executedEntries: async () =>
      Number((await q(`SELECT count(*) AS c FROM ${schema.table('mongock_change_log')} WHERE change_id = $1 AND state = 'EXECUTED'`, [UNIT_ID]))[0]!.c),
    transactional: async () => true,
    drop: () => schema.drop(),
  };
}

function sqlCheckpoint(row: Record<string, unknown>): StoredCheckpoint {
  const lastKey = row.last_key === null ? null : String(JSON.parse(String(row.last_key)));
  return { processed: Number(row.processed), batches: Number(row.batches), lastKey, state: String(row.state) };
}

/** `total` rows `items(id integer primary key, n integer)` in a fresh SQLite file, ids 1..total (one recursive CTE). */
export async function sqliteItems(total: number): Promise<Items> {
  const file = tempSqliteFile();
  const withDb = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(file.filename);
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  withDb((db) => {
    db.pragma('journal_mode = WAL');
    createSqliteItems(db, total);
  });
  const all = (sql: string, ...params: unknown[]) => withDb((db) => db.prepare(sql).all(...params) as Record<string, unknown>[]);
  const tableExists = (name: string) => all("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).length > 0;
  return {
    driver: 'sqlite',
    target: file.filename,
    total,
    markers: async () => histogram(all('SELECT n, count(*) AS c FROM items GROUP BY n') as never),
    markersBetween: async (first, last) =>
      histogram(all('SELECT n, count(*) AS c FROM items WHERE id BETWEEN ? AND ? GROUP BY n', Number(first), Number(last)) as never),
    async checkpoint() {
      if (!tableExists('mongockChangeLog_checkpoints')) return undefined;
      const rows = all('SELECT processed, batches, last_key, state FROM mongockChangeLog_checkpoints WHERE change_id = ?', UNIT_ID);
      return rows[0] === undefined ? undefined : sqlCheckpoint(rows[0]);
    },
    executedEntries: async () => Number(all("SELECT count(*) AS c FROM mongockChangeLog WHERE change_id = ? AND state = 'EXECUTED'", UNIT_ID)[0]!.c),
    transactional: async () => true,
    drop: async () => file.cleanup(),
  };
}

/** Documents per `insertMany`: FerretDB inserts them in its own batches of 100 either way; fewer round trips is what a larger chunk buys. */
const INSERT_CHUNK = 10_000;

/** `total` documents `{ _id: ObjectId (ascending), n: 0 }` in collection `items` of a fresh database. */
export async function mongoItems(total: number, url = FERRETDB_URL): Promise<Items> {
  const fresh = await freshDatabase(url);
  const collection = fresh.db.collection('items');
  for (let i = 0; i < total; i += INSERT_CHUNK) {
    const documents = Array.from({ length: Math.min(INSERT_CHUNK, total - i) }, () => ({ _id: new ObjectId(), n: 0 }));
    await collection.insertMany(documents, { ordered: false });
  }
  const groups = (db: Db, match: object) =>
    db
      .collection('items')
      .aggregate<{ _id: number; c: number }>([{ $match: match }, { $group: { _id: '$n', c: { $sum: 1 } } }])
      .toArray();
  return {
    driver: 'mongodb',
    target: `${url}|${fresh.name}`,
    total,
    markers: async () => Object.fromEntries((await groups(fresh.db, {})).map((group) => [group._id, group.c])),
    markersBetween: async (first, last) =>
      Object.fromEntries((await groups(fresh.db, { _id: { $gte: new ObjectId(first), $lte: new ObjectId(last) } })).map((group) => [group._id, group.c])),
    async checkpoint() {
      const document = await fresh.db.collection('mongockChangeLog_checkpoints').findOne({ changeId: UNIT_ID });
      if (document === null) return undefined;
      const lastKey = document.lastKey === null ? null : (JSON.parse(String(document.lastKey)) as { k: { $oid: string } }).k.$oid;
      return { processed: Number(document.processed), batches: Number(document.batches), lastKey, state: String(document.state) };
    },
    executedEntries: () => fresh.db.collection('mongockChangeLog').countDocuments({ changeId: UNIT_ID, state: 'EXECUTED' }),
    // A standalone server (FerretDB) has no transactions; a replica set does.
    transactional: async () => (await fresh.db.admin().command({ hello: 1 })).setName !== undefined,
    lockDocument: () => fresh.db.collection('mongockLock').findOne({ key: 'DEFAULT_KEY' }),
    drop: () => fresh.drop(),
  };
}
