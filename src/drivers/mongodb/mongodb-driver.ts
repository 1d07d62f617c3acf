import type { Db, MongoClient, MongoClientOptions, ReadConcernLike, ReadPreferenceLike, TransactionOptions, WriteConcernSettings } from 'mongodb';
import { leaseLostError } from '../../errors/error-builders.ts';
import { MongockError } from '../../errors/mongock-error.ts';
import { type BatchCheckpoint, checkpointStoreName } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import type { CheckpointStore, Driver, DriverCapabilities, DriverConnection, DriverSettings, ReadHistoryOptions, Scope, ScopeOptions } from '../driver.ts';
import { defineDriver } from '../shared/define-driver.ts';
import { checkDriverOptions, type DriverOptionSpec } from '../shared/driver-options.ts';
import { MongoCheckpoints } from './mongodb-checkpoints.ts';
import {
  collectionNameProblem,
  databaseNameProblem,
  detectTopology,
  loadMongoClient,
  type MongoCollectionSettings,
  type MongooseConnectionLike,
  serverTime,
  toDriverError,
} from './mongodb-client.ts';
import { guardDb, type MongoChangeContext } from './mongodb-context.ts';
import { MongoHistory } from './mongodb-history.ts';
import { LEASE_TAKEN, LOCK_NAME, MongoLock } from './mongodb-lock.ts';

/**
 * Where the driver finds its database: give exactly one of `client`, `uri` or `connection`.
 *
 * - `client` + `databaseName`: your `MongoClient` (connected or not); Mongock never closes it.
 * - `uri` (+ `databaseName`, unless the URI names the database): Mongock opens a client for each
 *   operation and closes it; `clientOptions` are passed to it.
 * - `connection`: a Mongoose connection; its native client and database are used, never closed.
 */
export interface MongoDriverOptions {
  readonly client?: MongoClient;
  readonly uri?: string;
  readonly connection?: MongooseConnectionLike;
  readonly databaseName?: string;
  readonly clientOptions?: MongoClientOptions;
  /** Read concern for Mongock's own collections (history, lock). Default `majority`. */
  readonly readConcern?: ReadConcernLike;
  /** Write concern for Mongock's own collections. Default `{ w: 'majority', journal: true }`. */
  readonly writeConcern?: WriteConcernSettings;
  /** Read preference for Mongock's own collections. Default `primary`. */
  readonly readPreference?: ReadPreferenceLike;
  /** Options of each change transaction. Default `{ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' }, readPreference: 'primary' }`. */
  readonly transactionOptions?: TransactionOptions;
}

/**
 * How the driver reads and writes its history and lock: majority read and write concern, journaled, on
 * the primary (as Java Mongock).
 */
export const DEFAULT_COLLECTION_SETTINGS: MongoCollectionSettings = Object.freeze({
  readConcern: Object.freeze({ level: 'majority' as const }),
  writeConcern: Object.freeze({ w: 'majority' as const, journal: true }),
  readPreference: 'primary' as const,
});

/** A transactional unit's transaction by default: snapshot reads, majority writes, on the primary. */
export const DEFAULT_TRANSACTION_OPTIONS: TransactionOptions = Object.freeze({
  readConcern: { level: 'snapshot' as const },
  writeConcern: { w: 'majority' as const },
  readPreference: 'primary' as const,
});

/**
 * Before connecting, the driver cannot know whether the deployment has transactions; the
 * connection tells (`DriverConnection.capabilities`): a replica set or a sharded cluster has
 * them, a standalone server (and FerretDB) has not.
 */
const CAPABILITIES: DriverCapabilities = Object.freeze({ transactions: true, lease: true, transactionalDdl: false, legacyImport: true });

/**
 * The MongoDB driver, on the official `mongodb` package (v6). History in `mongockChangeLog` with
 * Java Mongock 5's document shape and index; a lease lock in `mongockLock` with a fencing counter
 * and expiry judged by the server's clock; on a replica set or sharded cluster each change unit
 * runs in a transaction with its history entry and a fenced update of the lock document.
 *
 * @example
 * ```ts
 * import { MongoClient } from 'mongodb';
 * import { MongockBuilder } from 'mongock';
 * import { mongoDriver } from 'mongock/mongodb';
 *
 * const client = new MongoClient(process.env.MONGODB_URI!);
 * const runner = new MongockBuilder()
 *   .setDriver(mongoDriver({ client, databaseName: 'app' }))
 *   .addMigrationScanPath('./migrations')
 *   .buildRunner();
 * await runner.execute();
 * ```
 */
export function mongoDriver(options: MongoDriverOptions): Driver<MongoChangeContext> {
  return defineDriver('mongodb', CAPABILITIES, validate(options), MongoDriverConnection.open);
}

const OPTION_SPEC = Object.freeze<DriverOptionSpec<MongoDriverOptions>>({
  factory: 'mongoDriver',
  keys: ['client', 'uri', 'connection', 'databaseName', 'clientOptions', 'readConcern', 'writeConcern', 'readPreference', 'transactionOptions'],
  sources: ['client', 'uri', 'connection'],
  sourcesMessage:
    'mongoDriver needs exactly one of { client, databaseName } (a MongoClient), { uri, databaseName } (Mongock opens and closes the client) or { connection } (a Mongoose connection).',
});

/** The shared checks, then what only MongoDB knows: a connection string's scheme, the database name. */
function validate(options: MongoDriverOptions): MongoDriverOptions {
  if (typeof options !== 'object' || options === null) throw invalid('mongoDriver needs an options object.');
  checkDriverOptions(options, OPTION_SPEC);
  if (options.uri !== undefined && (typeof options.uri !== 'string' || !/^mongodb(\+srv)?:\/\//.test(options.uri))) {
    throw invalid(`mongoDriver: uri must be a MongoDB connection string (mongodb:// or mongodb+srv://); got ${JSON.stringify(options.uri)}.`);
  }
  const databaseName = options.databaseName ?? (options.uri === undefined ? undefined : databaseInUri(options.uri));
  if (databaseName === undefined && options.connection === undefined) {
    throw invalid("mongoDriver needs a databaseName (the database your change units migrate), e.g. mongoDriver({ client, databaseName: 'app' }).");
  }
  if (databaseName !== undefined) checkDatabaseName(databaseName);
  return Object.freeze({ ...options, ...(databaseName === undefined ? {} : { databaseName }) });
}

function checkDatabaseName(name: unknown): void {
  const problem = typeof name === 'string' ? databaseNameProblem(name) : 'it is not a string';
  if (problem !== undefined) throw invalid(`mongoDriver: database name ${JSON.stringify(name)} is not valid: ${problem}. Choose another databaseName.`);
}

/** The database named in a connection string's path, if any. */
function databaseInUri(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]+)/.exec(uri);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

function invalid(message: string): MongockError {
  return new MongockError('INVALID_CONFIG', message);
}

class MongoDriverConnection implements DriverConnection<MongoChangeContext> {
  readonly capabilities: DriverCapabilities;
  readonly lock: MongoLock;
  readonly checkpoints: CheckpointStore;
  readonly #checkpoints: MongoCheckpoints;
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #owned: boolean;
  readonly #history: MongoHistory;
  readonly #transactionOptions: TransactionOptions;
  readonly #logger: DriverSettings['logger'];
  /** The lock document's collection, named in the fix of a refused carried entry. */
  readonly #lockCollection: string;
  #closed = false;

  static async open(options: MongoDriverOptions, settings: DriverSettings): Promise<MongoDriverConnection> {
    for (const [option, name] of [
      ['migrationRepositoryName', settings.migrationRepositoryName],
      ['lockRepositoryName', settings.lockRepositoryName],
    ] as const) {
      const problem = collectionNameProblem(name);
      if (problem !== undefined) throw invalid(`${option} ${JSON.stringify(name)} is not a valid MongoDB collection name: ${problem}.`);
    }
    const { client, databaseName, owned } = await resolveClient(options);
    try {
      await client.connect();
      const db = client.db(databaseName);
      const topology = await detectTopology(db);
      settings.logger.debug(`MongoDB: connected to database '${databaseName}' on a ${topology.kind} deployment (transactions: ${topology.transactions}).`);
      return new MongoDriverConnection(client, db, owned, topology.transactions, options, settings);
    } catch (error) {
      if (owned) await client.close().catch(() => undefined);
      throw toDriverError(error, `connecting to database '${databaseName}'`);
    }
  }

  private constructor(client: MongoClient, db: Db, owned: boolean, transactions: boolean, options: MongoDriverOptions, settings: DriverSettings) {
    this.#client = client;
    this.#db = db;
    this.#owned = owned;
    this.capabilities = Object.freeze({ ...CAPABILITIES, transactions });
    const collections: MongoCollectionSettings = {
      readConcern: options.readConcern ?? DEFAULT_COLLECTION_SETTINGS.readConcern,
      writeConcern: options.writeConcern ?? DEFAULT_COLLECTION_SETTINGS.writeConcern,
      readPreference: options.readPreference ?? DEFAULT_COLLECTION_SETTINGS.readPreference,
    };
    this.#history = new MongoHistory(db, settings.migrationRepositoryName, collections);
    const checkpoints = new MongoCheckpoints(db, checkpointStoreName(settings.migrationRepositoryName), collections);
    this.#checkpoints = checkpoints;
    this.checkpoints = {
      read: () => checkpoints.read().catch((error: unknown) => Promise.reject(toDriverError(error, 'reading the batch checkpoints'))),
      prepare: () => checkpoints.prepare().catch((error: unknown) => Promise.reject(toDriverError(error, 'creating the batch checkpoint index'))),
    };
    this.lock = new MongoLock(db, settings.lockRepositoryName, collections, this.#history.carried, () => this.#beforeRelease());
    this.#lockCollection = settings.lockRepositoryName;
    this.#transactionOptions = options.transactionOptions ?? DEFAULT_TRANSACTION_OPTIONS;
    this.#logger = settings.logger;
  }

  /**
   * The history, with the entries the lock holder carries in the lock document and has not
   * written yet: from memory when this connection holds the lock, else read from the lock
   * document alongside (one more command), except before a lock attempt, which reads again.
   */
  async readHistory(options: ReadHistoryOptions = {}): Promise<ChangeEntry[]> {
    const carried = this.lock.holding ? Promise.resolve(this.#history.carried.pending()) : options.beforeLock === true ? undefined : this.lock.carriedEntries();
    try {
      return await this.#history.read(carried);
    } catch (error) {
      throw toDriverError(error, 'reading the history');
    }
  }

  async prepareHistory(): Promise<void> {
    try {
      await this.#history.create();
    } catch (error) {
      throw toDriverError(error, 'creating the history index');
    }
  }

  async now(): Promise<Date> {
    try {
      return await serverTime(this.#db);
    } catch (error) {
      throw toDriverError(error, "reading the server's clock");
    }
  }

  async runInScope<T>(options: ScopeOptions, work: (scope: Scope<MongoChangeContext>) => Promise<T>): Promise<T> {
    const db = guardDb(this.#db, options.guard);
    const { lease } = options;
    if (!options.transactional) {
      return work({
        context: Object.freeze({ db, client: this.#client, session: undefined }),
        saveEntry: async (entry) => {
          // No transaction, so no write can be made conditional on the lock document. The lease
          // is the fence: the core's guard checks its local deadline (renewing when due, owner-
          // and fence-checked) right before the write, and the in-progress marker written before
          // the change proved ownership by owner and fence. A pause between the check and the
          // write is the documented limit of non-transactional runs (as it was with a fencing
          // update, which cannot make a later insert conditional either); the write carries the
          // fence and never replaces an entry a newer holder wrote (see MongoHistory.save).
          await options.guard.ensure();
          if (!this.lock.holdsLocally(lease)) throw leaseLostError(lease, LOCK_NAME, LEASE_TAKEN);
          if (!(await this.#history.save(entry, undefined, lease.fence))) throw leaseLostError(lease, LOCK_NAME, LEASE_TAKEN);
        },
        saveCheckpoint: async (checkpoint) => {
          // As entries: guarded right before, and never over a checkpoint a newer holder wrote.
          await options.guard.ensure();
          if (!this.lock.holdsLocally(lease)) throw leaseLostError(lease, LOCK_NAME, LEASE_TAKEN);
          // A checkpoint marked done must not be stored before its unit's EXECUTED entry, which may
          // still be queued to ride in the next lock write: a crash in between would leave a done
          // checkpoint and no entry, and the next run would apply every batch again.
          if (checkpoint.state === 'done') await this.#history.carried.flush().catch(checkpointWriteError(checkpoint, 'entry', this.#lockCollection));
          const saved = await this.#checkpoints
            .save(checkpoint, undefined, lease.fence)
            .catch(checkpointWriteError(checkpoint, 'checkpoint', this.#lockCollection));
          if (!saved) throw leaseLostError(lease, LOCK_NAME, LEASE_TAKEN);
        },
      });
    }
    // Entries carried so far go first: the transaction writes its own, and the history keeps their order.
    await this.#history.carried.flush().catch((error: unknown) => Promise.reject(toDriverError(error, 'writing the carried history entries')));
    const session = this.#client.startSession();
    await this.lock.beginTransaction(lease);
    let committed = false;
    try {
      const result = await session.withTransaction(async () => {
        // First write of the transaction: it claims the lock document, so a runner trying to take
        // the lock over waits for this transaction to end, and a lost lease aborts before any work.
        if (!(await this.lock.fence(lease, session))) throw leaseLostError(lease, LOCK_NAME, LEASE_TAKEN);
        const value = await work({
          context: Object.freeze({ db, client: this.#client, session }),
          saveEntry: async (entry) => void (await this.#history.save(entry, session)),
          saveCheckpoint: async (checkpoint) => void (await this.#checkpoints.save(checkpoint, session)),
        });
        // And at commit time, in the same transaction: the lease is still ours, or nothing commits.
        if (!(await this.lock.fence(lease, session))) throw leaseLostError(lease, LOCK_NAME, LEASE_TAKEN);
        return value;
      }, this.#transactionOptions);
      committed = true;
      return result;
    } finally {
      this.lock.endTransaction();
      await session.endSession().catch(() => undefined);
      // Renewals were answered from memory during the transaction; an aborted one wrote nothing,
      // so extend the lease now (owner- and fence-checked) as the core's deadline assumes.
      if (!committed) await this.lock.fence(lease).catch(() => false);
    }
  }

  async readLegacyRecords(origin: string): Promise<Array<Record<string, unknown>>> {
    const problem = collectionNameProblem(origin);
    if (problem !== undefined) throw invalid(`legacyMigration origin ${JSON.stringify(origin)} is not a valid MongoDB collection name: ${problem}.`);
    try {
      return await this.#db
        .collection(origin)
        .find({}, { sort: { _id: 1 }, promoteLongs: true })
        .toArray();
    } catch (error) {
      throw toDriverError(error, `reading legacy history from '${origin}'`);
    }
  }

  /**
   * While the lock is still ours: the carried entries into the history (a failure leaves them in
   * the lock document, where the next holder finds them), then the checksums' companion.
   */
  async #beforeRelease(): Promise<void> {
    try {
      await this.#history.carried.flush();
    } catch (error) {
      this.#logger.warn(`Could not write the history entries carried in the lock document: ${String(error)}. They stay there; the next run writes them first.`);
      return;
    }
    await this.#flushChecksums();
  }

  /** Never throws: an unwritten companion is copied from the entries' own fields by the next prepare. */
  async #flushChecksums(): Promise<void> {
    await this.#history.flushChecksums().catch((error: unknown) => {
      this.#logger.warn(`Could not write the checksums' companion collection: ${String(error)}. The next run copies them from the history entries.`);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flushChecksums();
    if (this.#owned) await this.#client.close();
  }
}

async function resolveClient(options: MongoDriverOptions): Promise<{ client: MongoClient; databaseName: string; owned: boolean }> {
  if (options.client !== undefined) return { client: options.client, databaseName: options.databaseName!, owned: false };
  if (options.connection !== undefined) {
    const connection = options.connection;
    if (connection.db === undefined && typeof connection.asPromise === 'function') {
      try {
        await connection.asPromise();
      } catch (error) {
        throw toDriverError(error, 'opening the Mongoose connection');
      }
    }
    const databaseName = options.databaseName ?? connection.db?.databaseName ?? connection.name;
    if (databaseName === undefined)
      throw invalid('mongoDriver({ connection }): the Mongoose connection is not open and names no database; open it first or pass databaseName.');
    checkDatabaseName(databaseName);
    // Mongoose may bundle another copy of the mongodb package: the driver uses its client structurally.
    return { client: connection.getClient() as MongoClient, databaseName, owned: false };
  }
  const MongoClient = loadMongoClient();
  try {
    return { client: new MongoClient(options.uri!, options.clientOptions), databaseName: options.databaseName!, owned: true };
  } catch (error) {
    throw new MongockError('INVALID_CONFIG', `mongoDriver: the MongoDB client refused the URI or its options: ${(error as Error).message}.`, { cause: error });
  }
}

/**
 * A refused write of a non-transactional batched unit's bookkeeping as the `DRIVER_ERROR` the
 * driver's other writes give, naming the change: `entry`, its EXECUTED entry (carried in the lock
 * document `lockCollection` so far), written before the checkpoint is marked done; `checkpoint`,
 * the checkpoint itself. The fix says what the next run does with what was left.
 */
function checkpointWriteError(checkpoint: BatchCheckpoint, what: 'entry' | 'checkpoint', lockCollection: string): (error: unknown) => Promise<never> {
  const change = `change '${checkpoint.changeId}' by '${checkpoint.author}'`;
  const resumes = 'the batches already committed stay, and the next run resumes after the last checkpoint saved';
  const [doing, fix] =
    what === 'entry'
      ? [
          `writing the EXECUTED entry of ${change} to the history (carried in the lock document so far) before marking its batch checkpoint done`,
          "The server refused Mongock's own history entry (its reply says which value, e.g. a metadata key it does not accept): fix that value in the config. " +
            "The entries wait in the lock document (this change's and those of the units applied before it in this run), which the next run writes first: " +
            `drop the refused value from them, not the entries (their units would run again), e.g. for metadata ${clearCarriedMetadata(lockCollection)}; then ${resumes}.`,
        ]
      : [
          `saving the batch checkpoint of ${change} (${checkpoint.state}, after batch ${checkpoint.batches})`,
          `The server refused Mongock's checkpoint document (its reply says which value, e.g. a non-finite number from the source's estimate()): fix that and run again; ${resumes}.`,
        ];
  return (error) => Promise.reject(toDriverError(error, doing, { changeId: checkpoint.changeId, author: checkpoint.author, fix }));
}

/**
 * The mongosh command that sets the metadata of every entry carried in the lock document to null
 * (they are canonical Extended JSON text, which JSON.parse keeps as it is): the entries stay, so
 * the units they record are not applied again.
 */
function clearCarriedMetadata(lockCollection: string): string {
  const collection = `db.getCollection(${JSON.stringify(lockCollection)})`;
  return (
    `const lock = ${collection}.findOne({ carriedEntries: { $type: "string" } }); ` +
    `${collection}.updateOne({ _id: lock._id }, { $set: { carriedEntries: JSON.stringify(JSON.parse(lock.carriedEntries).map((entry) => ({ ...entry, metadata: null }))) } })`
  );
}
