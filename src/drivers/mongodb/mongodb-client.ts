import type { Db, Document, MongoClient, MongoClientOptions, ReadConcernLike, ReadPreferenceLike, WriteConcernSettings } from 'mongodb';
import { MongockError } from '../../errors/mongock-error.ts';
import { optionalPackage } from '../shared/optional-package.ts';

/**
 * The parts of a Mongoose `Connection` the driver uses (typed structurally so that Mongoose stays
 * an optional peer): its native client and database.
 */
export interface MongooseConnectionLike {
  /** A `MongoClient`, possibly from Mongoose's own copy of the `mongodb` package (hence not typed as ours). */
  getClient(): unknown;
  /** The native `Db`; undefined until the connection has opened. */
  readonly db?: { readonly databaseName: string } | undefined;
  readonly name?: string | undefined;
  /** 1 when connected (Mongoose's `readyState`). */
  readonly readyState?: number;
  asPromise?(): Promise<unknown>;
}

/** Read/write settings for Mongock's own collections (history and lock). */
export interface MongoCollectionSettings {
  readonly readConcern: ReadConcernLike;
  readonly writeConcern: WriteConcernSettings;
  readonly readPreference: ReadPreferenceLike;
}

type MongoClientConstructor = new (uri: string, options?: MongoClientOptions) => MongoClient;

/** Loads the `mongodb` package only when the driver needs to create a client, with an install hint when missing. */
export const loadMongoClient = optionalPackage<MongoClientConstructor>({
  specifier: 'mongodb',
  needs: "The MongoDB driver needs the 'mongodb' package (version 6)",
  install: 'mongodb',
  pick: (module) => (module as { MongoClient: MongoClientConstructor }).MongoClient,
});

/** Characters MongoDB refuses in a database name on every platform (plus NUL). */
const FORBIDDEN_DATABASE_CHARACTERS = /[/\\. "$\0]/;

/** Why MongoDB would refuse `name` as a database name, or undefined when it is valid. */
export function databaseNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  const forbidden = FORBIDDEN_DATABASE_CHARACTERS.exec(name);
  if (forbidden !== null) return `it contains ${JSON.stringify(forbidden[0])}, which MongoDB does not allow in database names (/ \\ . " $, space, NUL)`;
  if (Buffer.byteLength(name) >= 64) return 'it is 64 bytes or longer (MongoDB allows at most 63)';
  return undefined;
}

/** Why MongoDB would refuse `name` as a collection name, or undefined when it is valid. */
export function collectionNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.includes('$') || name.includes('\0')) return 'it contains "$" or NUL';
  if (name.startsWith('system.')) return "it starts with 'system.', which MongoDB reserves";
  return undefined;
}

/** What the server said about itself at connect time. */
export interface ServerTopology {
  /** A replica set member or a mongos: multi-document transactions are available. */
  readonly transactions: boolean;
  readonly kind: 'replica-set' | 'sharded' | 'standalone';
}

/**
 * Asks the server what it is (`hello`, or `isMaster` on servers older than 4.4.2). Transactions
 * need a replica set (`setName`) or a mongos (`msg: 'isdbgrid'`) and logical sessions; a
 * standalone server (and FerretDB) has none.
 */
export async function detectTopology(db: Db): Promise<ServerTopology> {
  const hello = await helloOf(db);
  const sessions = hello.logicalSessionTimeoutMinutes != null;
  if (typeof hello.setName === 'string') return { transactions: sessions, kind: 'replica-set' };
  if (hello.msg === 'isdbgrid') return { transactions: sessions, kind: 'sharded' };
  return { transactions: false, kind: 'standalone' };
}

/**
 * The server's clock, read from `hello.localTime`. Lease arithmetic uses this, never the
 * process's clock: FerretDB evaluates neither `$$NOW` nor `$expr` comparisons in filters, so
 * the time is read in one round trip and used as a literal in the next (see docs/mongodb.md).
 */
export async function serverTime(db: Db): Promise<Date> {
  const sent = performance.now();
  const hello = await helloOf(db);
  if (!(hello.localTime instanceof Date)) {
    throw new MongockError(
      'DRIVER_ERROR',
      'The MongoDB server did not report its time (hello.localTime); Mongock judges lock expiry by the server clock and cannot run.',
    );
  }
  samples.set(db, { serverMs: hello.localTime.getTime(), at: (sent + performance.now()) / 2 });
  return hello.localTime;
}

/** The last `hello.localTime` per database handle, with when it was read by the monotonic clock. */
const samples = new WeakMap<Db, { readonly serverMs: number; readonly at: number }>();

/**
 * The server's clock now, without a round trip when `serverTime` was read before (the lock reads
 * it at every acquisition and renewal): the last sample advanced by the monotonic clock, which a
 * wrong wall clock on this host does not move. Stamps history entries.
 */
export async function serverNow(db: Db): Promise<Date> {
  const sample = samples.get(db);
  return sample === undefined ? serverTime(db) : new Date(sample.serverMs + (performance.now() - sample.at));
}

async function helloOf(db: Db): Promise<Document> {
  try {
    return await db.command({ hello: 1 });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 59) throw error; // CommandNotFound: older than 4.4.2
    return db.command({ isMaster: 1 });
  }
}

/** Server error codes the driver gives a specific explanation for. */
const AUTHENTICATION_FAILED = 18;
const UNAUTHORIZED = 13;
const INVALID_NAMESPACE = 73;

/** The change a failed write was made for, and what to do when the server's reply is not one explained below. */
export interface DriverErrorChange {
  readonly changeId: string;
  readonly author: string;
  readonly fix: string;
}

/**
 * Turns what the `mongodb` package threw while connecting or talking to the server into a
 * {@link MongockError} that says what to do. MongockErrors pass through untouched. With
 * `change`, the error names that change (`changeId`, `author`) and gives its `fix`.
 */
export function toDriverError(error: unknown, doing: string, change?: DriverErrorChange): MongockError {
  if (error instanceof MongockError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  let hint: string;
  if (name === 'MongoServerSelectionError' || name === 'MongoNetworkError' || name === 'MongoNetworkTimeoutError') {
    hint =
      'The server could not be reached: check the URI (host, port, replicaSet, TLS), that the server is running, and the network; serverSelectionTimeoutMS bounds the wait.';
  } else if (code === AUTHENTICATION_FAILED || name === 'MongoMissingCredentialsError') {
    hint = 'The server refused the credentials: check the user name, password, authSource and authMechanism in the URI.';
  } else if (code === UNAUTHORIZED) {
    hint =
      "The user lacks a privilege Mongock needs: it reads and writes its own collections ('mongockChangeLog', 'mongockLock') and creates their indexes; grant readWrite on the database.";
  } else if (code === INVALID_NAMESPACE) {
    hint = 'MongoDB refused a database or collection name: check databaseName, migrationRepositoryName and lockRepositoryName.';
  } else {
    hint = change?.fix ?? 'See the cause for the server reply.';
  }
  const about = change === undefined ? {} : { changeId: change.changeId, author: change.author };
  return new MongockError('DRIVER_ERROR', `MongoDB: ${doing} failed: ${message}. ${hint}`, { cause: error, ...about });
}
