import type { ClientSession, Collection, Db, Document } from 'mongodb';
import { leaseLostError } from '../../errors/error-builders.ts';
import { MongockError } from '../../errors/mongock-error.ts';
import { isProcessGone, type ProcessIdentity, parseProcessIdentity } from '../../lock/process-identity.ts';
import type { ForceReleaseOptions, InProgressChange, LockAttempt, LockHolder, LockLease, LockPrimitive, LockRequest } from '../driver.ts';
import { CARRIED_FIELD, type CarriedEntries, carriedDocuments } from './mongodb-carried-entries.ts';
import { type MongoCollectionSettings, serverTime, toDriverError } from './mongodb-client.ts';

/** How long one acquisition attempt may wait on the server (e.g. behind a holder's transaction). */
const TRY_ACQUIRE_MAX_TIME_MS = 2_000;
/** A last attempt (budget nearly spent, or `quitTryingAfterMs: 0`) still gets a round trip's worth. */
const TRY_ACQUIRE_MIN_TIME_MS = 500;
/** MongoDB's MaxTimeMSExpired. */
const MAX_TIME_EXPIRED = 50;

/** The single lock document's key, as Java Mongock's `DEFAULT_KEY`. */
import { LOCK_KEY } from '../../lock/lock-config.ts';
import { ensureUniqueIndex } from './mongodb-indexes.ts';

/** What this driver's lock is called in messages (the same constant in every driver folder). */
export const LOCK_NAME = 'the MongoDB lock';
/** Why a MongoDB fencing check fails: a lease is only ever lost that way. */
export const LEASE_TAKEN = 'its lease ran out and another runner took it';

/**
 * The lock document's status while a runner holds it (Java Mongock's value, so both read each other's
 * lock).
 */
export const LOCK_HELD = 'LOCK_HELD';
/** Ours: a released lock keeps its document (so the fence never goes back); Java reads it as expired. */
export const LOCK_RELEASED = 'LOCK_RELEASED';
const LOCK_INDEX = Object.freeze({ name: 'key_1', keys: Object.freeze({ key: 1 }) });
const DUPLICATE_KEY = 11000;
/**
 * The key of the heartbeat document: where a holder inside a change transaction writes its
 * renewals, since the lock document itself belongs to that transaction until it commits.
 */
const HEARTBEAT_KEY = `${LOCK_KEY}.heartbeat`;
const TYPE_MISMATCH = 14;

/**
 * The lock document, Java Mongock's four fields first:
 * `{ key: 'DEFAULT_KEY', status: 'LOCK_HELD' | 'LOCK_RELEASED', owner, expiresAt, fence, hostname, acquiredAt, leaseMs, inProgress }`.
 */
interface LockDocument {
  readonly status: string | null;
  readonly owner: string | null;
  readonly expiresAt: Date | null;
  readonly fence: number;
  readonly hostname: string | null;
  readonly acquiredAt: Date | null;
  readonly inProgress: InProgressChange | null;
  readonly holderProcess: ProcessIdentity | null;
}

/**
 * A lease document in the lock collection (`mongockLock`), taken atomically by an upsert on the
 * unique `key` (a duplicate-key error means another owner holds a live lease), with expiry judged
 * by the server's clock. `fence` grows with every grant; renew, release, the in-progress marker
 * and every history write check owner and fence, and a transactional change updates the document
 * inside its own transaction, so a holder whose lease was taken over cannot commit.
 */
export class MongoLock implements LockPrimitive {
  readonly #db: Db;
  readonly #collection: Collection;
  #indexReady = false;
  #leaseMs = 0;
  /** The lease whose change transaction currently owns the lock document (see {@link MongoLock.beginTransaction}). */
  #transactionLease: LockLease | undefined;
  #renewing: Promise<boolean> | undefined;
  /** The lease this connection was granted, until it is released or found lost by a write. */
  #granted: LockLease | undefined;

  /** What must be written while the lock is still ours, just before a release (see MongoHistory.flushChecksums). */
  readonly #beforeRelease: () => Promise<void>;
  /** The history entries that ride in this document's fenced updates (see CarriedEntries). */
  readonly #carried: CarriedEntries;

  constructor(db: Db, name: string, settings: MongoCollectionSettings, carried: CarriedEntries, beforeRelease: () => Promise<void> = async () => undefined) {
    this.#db = db;
    this.#collection = db.collection(name, settings);
    this.#carried = carried;
    this.#beforeRelease = beforeRelease;
  }

  async tryAcquire(request: LockRequest): Promise<LockAttempt> {
    await this.#ensureIndex();
    const now = await serverTime(this.#db);
    const free = { $or: [{ owner: null }, { status: { $ne: LOCK_HELD } }, { expiresAt: { $lte: now } }] };
    const taken = await this.#take(free, request, now, true);
    if (taken !== undefined) return taken;
    // A holder that ran on this host and whose process is gone (SIGKILL, crash) cannot renew:
    // take its lease over at once, conditioned on its owner and fence so that nobody else's is.
    const holder = await this.#holder(true);
    if (holder?.gone === true) {
      const document = await this.#collection.findOne({ key: LOCK_KEY }, { promoteLongs: true });
      const parsed = document === null ? 'gone' : parseLockDocument(document);
      if (typeof parsed !== 'string' && parsed.owner === holder.owner) {
        const takenOver = await this.#take({ owner: parsed.owner, fence: parsed.fence }, request, now, false);
        if (takenOver !== undefined) return takenOver;
      }
    }
    return { acquired: false, holder: holder ?? (await this.#holder(true)) };
  }

  /** One conditional grant; undefined when `filter` matched no free lease. */
  async #take(filter: Document, request: LockRequest, now: Date, upsert: boolean): Promise<LockAttempt | undefined> {
    let after: Document | null;
    try {
      after = await this.#collection.findOneAndUpdate(
        { key: LOCK_KEY, ...filter },
        {
          $set: {
            status: LOCK_HELD,
            owner: request.owner,
            expiresAt: new Date(now.getTime() + request.leaseMs),
            hostname: request.hostname,
            acquiredAt: now,
            leaseMs: request.leaseMs,
            holderProcess: request.process ?? null,
          },
          $inc: { fence: 1 },
        },
        // A holder's open transaction keeps the document locked; one attempt must not wait for it.
        {
          upsert,
          returnDocument: 'after',
          includeResultMetadata: false,
          promoteLongs: true,
          maxTimeMS: Math.max(TRY_ACQUIRE_MIN_TIME_MS, Math.min(TRY_ACQUIRE_MAX_TIME_MS, request.maxWaitMs ?? TRY_ACQUIRE_MAX_TIME_MS)),
        },
      );
    } catch (error) {
      // The unique index turns "someone else's live lease" into a duplicate-key error on the upsert.
      if (codeOf(error) === DUPLICATE_KEY || codeOf(error) === MAX_TIME_EXPIRED) return undefined;
      if (codeOf(error) === TYPE_MISMATCH) throw this.#malformed(`its 'fence' is not a number (${describeError(error)})`, error);
      throw toDriverError(error, `taking the lock in '${this.#collection.collectionName}'`);
    }
    if (after === null) return undefined;
    const parsed = parseLockDocument(after);
    if (typeof parsed === 'string') {
      // Taken, but the document is not ours to trust: give it back before reporting.
      await this.#collection
        .updateOne({ key: LOCK_KEY, owner: request.owner }, { $set: { status: LOCK_RELEASED, owner: null, expiresAt: now } })
        .catch(() => undefined);
      throw this.#malformed(parsed);
    }
    this.#leaseMs = request.leaseMs;
    // A holder that died left the entries it carried here: they go to the history before anyone reads it under this lock.
    try {
      await this.#carried.recover(after[CARRIED_FIELD]);
    } catch (error) {
      await this.#collection
        .updateOne({ key: LOCK_KEY, owner: request.owner, fence: parsed.fence }, { $set: { status: LOCK_RELEASED, owner: null, expiresAt: now } })
        .catch(() => undefined);
      throw toDriverError(error, `writing the history entries a previous holder left in '${this.#collection.collectionName}'`);
    }
    this.#granted = { owner: request.owner, fence: parsed.fence };
    return { acquired: true, lease: this.#granted, interrupted: parsed.inProgress };
  }

  async renew(lease: LockLease, leaseMs: number): Promise<boolean> {
    this.#leaseMs = leaseMs;
    if (this.#transactionLease !== undefined && sameLease(this.#transactionLease, lease)) {
      // A change transaction owns the lock document: a write from outside would wait for it to
      // commit (and the change may be waiting for this renewal). The transaction writes the lease
      // itself, owner- and fence-checked, and nobody can take it over while the transaction holds
      // it. But others read the committed document, whose expiry the renewal cannot move: the
      // heartbeat document says the holder is alive, so that `status` reads the lease as live.
      await this.#heartbeat(lease, leaseMs).catch(() => undefined);
      return true;
    }
    this.#renewing = (async () => {
      const now = await serverTime(this.#db);
      const result = await this.#collection.updateOne(
        { key: LOCK_KEY, owner: lease.owner, fence: lease.fence, status: LOCK_HELD, expiresAt: { $gt: now } },
        { $set: { expiresAt: new Date(now.getTime() + leaseMs), leaseMs } },
      );
      if (result.matchedCount !== 1) this.#granted = undefined;
      return result.matchedCount === 1;
    })();
    try {
      return await this.#renewing;
    } finally {
      this.#renewing = undefined;
    }
  }

  async release(lease: LockLease): Promise<boolean> {
    if (this.#granted !== undefined && sameLease(this.#granted, lease)) {
      await this.#beforeRelease();
      this.#granted = undefined;
    }
    // The carried list is emptied only once it is all in the history; else the next holder writes it.
    const emptied = this.#carried.flushed ? { [CARRIED_FIELD]: null } : {};
    this.#carried.forget();
    const now = await serverTime(this.#db);
    const result = await this.#collection.updateOne(
      { key: LOCK_KEY, owner: lease.owner, fence: lease.fence },
      { $set: { status: LOCK_RELEASED, owner: null, expiresAt: now, hostname: null, acquiredAt: null, ...emptied } },
    );
    return result.matchedCount === 1;
  }

  /**
   * Sets (or clears) the marker and, in the same fenced update, carries the entries of the units
   * recorded since the last lock write: one write of ours per unit (see CarriedEntries).
   */
  async markInProgress(lease: LockLease, change: InProgressChange | null): Promise<void> {
    const carried = this.#carried.update();
    const result = await this.#collection.updateOne({ key: LOCK_KEY, owner: lease.owner, fence: lease.fence }, { $set: { inProgress: change, ...carried } });
    if (result.matchedCount !== 1) {
      this.#granted = undefined;
      this.#carried.forget();
      throw leaseLostError(lease, LOCK_NAME, LEASE_TAKEN);
    }
    try {
      await this.#carried.sent(carried[CARRIED_FIELD]);
    } catch (error) {
      throw toDriverError(error, 'writing the carried history entries');
    }
  }

  /** The entries the lock document carries (a holder's, not yet in the history), for a reader that does not hold the lock. */
  async carriedEntries(): Promise<readonly Document[]> {
    const document = await this.#collection.findOne({ key: LOCK_KEY }, { projection: { [CARRIED_FIELD]: 1 } });
    return carriedDocuments(document?.[CARRIED_FIELD]);
  }

  /** Whether this connection holds a lease it was granted (its carried entries are then in memory). */
  get holding(): boolean {
    return this.#granted !== undefined;
  }

  /**
   * Whether `lease` is the one granted here and no write since found it taken over. Says nothing
   * about expiry: the core's lock guard judges that by its local deadline.
   */
  holdsLocally(lease: LockLease): boolean {
    return this.#granted !== undefined && sameLease(this.#granted, lease);
  }

  /** Who holds the lock. A document in an unexpected shape is reported as a live holder (only `unlock --force` clears it). */
  async inspect(): Promise<LockHolder | null> {
    return this.#holder(false);
  }

  async #holder(strict: boolean): Promise<LockHolder | null> {
    const document = await this.#collection.findOne({ key: LOCK_KEY }, { promoteLongs: true });
    if (document === null) return null;
    const parsed = parseLockDocument(document);
    if (typeof parsed === 'string') {
      if (strict) throw this.#malformed(parsed);
      const owner = typeof document.owner === 'string' ? document.owner : '(unknown)';
      return { owner, hostname: `(unexpected lock document: ${parsed})`, acquiredAt: null, expiresAt: null, expired: false, inProgress: null };
    }
    if (parsed.owner === null && parsed.inProgress === null) return null;
    const now = await serverTime(this.#db);
    const gone = parsed.owner !== null && parsed.holderProcess !== null && isProcessGone(parsed.holderProcess);
    let expiresAt = parsed.expiresAt;
    if (parsed.owner !== null && parsed.status === LOCK_HELD && !gone && (expiresAt === null || expiresAt <= now)) {
      // Lapsed by the committed document: a holder inside a long change transaction renews in its heartbeat.
      const beat = await this.#collection.findOne({ key: HEARTBEAT_KEY, owner: parsed.owner, fence: parsed.fence, expiresAt: { $gt: now } });
      if (beat?.expiresAt instanceof Date) expiresAt = beat.expiresAt;
    }
    const live = parsed.owner !== null && parsed.status === LOCK_HELD && expiresAt !== null && expiresAt > now && !gone;
    return {
      owner: parsed.owner ?? '',
      hostname: parsed.hostname ?? '',
      acquiredAt: parsed.acquiredAt,
      expiresAt: parsed.owner === null ? null : expiresAt,
      expired: !live,
      inProgress: parsed.inProgress,
      process: parsed.holderProcess,
      gone,
    };
  }

  async forceRelease(options: ForceReleaseOptions = {}): Promise<boolean> {
    const document = await this.#collection.findOne({ key: LOCK_KEY }, { promoteLongs: true });
    if (document === null) return false;
    const now = await serverTime(this.#db);
    const parsed = parseLockDocument(document);
    if (typeof parsed === 'string' && options.onlyIfExpired === true) return false;
    if (typeof parsed === 'string') {
      // A document in a shape we do not know: replace it by a released lock (keeping a numeric fence).
      const fence = typeof document.fence === 'number' ? document.fence : 0;
      await this.#collection.replaceOne({ _id: document._id }, { key: LOCK_KEY, status: LOCK_RELEASED, owner: null, expiresAt: now, fence, inProgress: null });
      return true;
    }
    if (parsed.owner === null && parsed.inProgress === null) return false;
    // Without force, the expiry is judged again by the write itself: a holder that renewed since
    // it was read (or whose transaction held the document until it committed a renewal) keeps it.
    const gone = parsed.owner !== null && parsed.holderProcess !== null && isProcessGone(parsed.holderProcess);
    const stillExpired =
      options.onlyIfExpired === true
        ? {
            $or: [
              { owner: null },
              { status: { $ne: LOCK_HELD } },
              { expiresAt: { $lte: now } },
              ...(gone ? [{ owner: parsed.owner, fence: parsed.fence }] : []),
            ],
          }
        : {};
    const result = await this.#collection.updateOne(
      { _id: document._id, ...stillExpired },
      { $set: { status: LOCK_RELEASED, owner: null, expiresAt: now, hostname: null, acquiredAt: null, inProgress: null, holderProcess: null } },
    );
    return result.matchedCount === 1;
  }

  /**
   * The fencing write: extends the lease only if `lease` still owns the lock (same owner and
   * fence), inside `session`'s transaction when given. Returns false when the lease is lost.
   */
  async fence(lease: LockLease, session?: ClientSession): Promise<boolean> {
    const now = await serverTime(this.#db);
    const result = await this.#collection.updateOne(
      { key: LOCK_KEY, owner: lease.owner, fence: lease.fence },
      { $set: { fencedAt: now, ...(this.#leaseMs > 0 ? { expiresAt: new Date(now.getTime() + this.#leaseMs) } : {}) } },
      session === undefined ? {} : { session },
    );
    return result.matchedCount === 1;
  }

  /**
   * Marks the start of a change transaction that will write the lock document first: from now on
   * `renew` answers from memory (a write from outside would wait for the transaction). Waits for
   * a renewal already on its way so that it cannot collide with the transaction's first write.
   */
  async beginTransaction(lease: LockLease): Promise<void> {
    this.#transactionLease = lease;
    await this.#renewing?.catch(() => undefined);
  }

  /** The renewal of a holder whose transaction owns the lock document (see `renew`), by the server's clock. */
  async #heartbeat(lease: LockLease, leaseMs: number): Promise<void> {
    const now = await serverTime(this.#db);
    await this.#collection.updateOne(
      { key: HEARTBEAT_KEY },
      { $set: { owner: lease.owner, fence: lease.fence, expiresAt: new Date(now.getTime() + leaseMs) } },
      { upsert: true },
    );
  }

  endTransaction(): void {
    this.#transactionLease = undefined;
  }

  async #ensureIndex(): Promise<void> {
    if (this.#indexReady) return;
    try {
      await ensureUniqueIndex(this.#collection, LOCK_INDEX);
    } catch (error) {
      throw toDriverError(error, `creating the unique index on '${this.#collection.collectionName}'`);
    }
    this.#indexReady = true;
  }

  #malformed(problem: string, cause?: unknown): MongockError {
    const where = `${this.#db.databaseName}.${this.#collection.collectionName}`;
    return new MongockError(
      'DRIVER_ERROR',
      `The lock document in '${where}' has an unexpected shape: ${problem}. It was not written by this version of Mongock (or was edited by hand), so nothing was run. ` +
        `Make sure no other runner is migrating, then run \`mongock unlock --force\` (runner.unlock({ force: true })), which replaces it, or delete it: db.${this.#collection.collectionName}.deleteOne({ key: '${LOCK_KEY}' }).`,
      cause === undefined ? {} : { cause },
    );
  }
}

function sameLease(a: LockLease, b: LockLease): boolean {
  return a.owner === b.owner && a.fence === b.fence;
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads a lock document written by us or by Java Mongock; returns what is wrong with it otherwise. */
function parseLockDocument(document: Document): LockDocument | string {
  const { status, owner, expiresAt, fence, hostname, acquiredAt, inProgress, holderProcess } = document;
  if (status != null && typeof status !== 'string') return `'status' is a ${typeOf(status)}, expected a string`;
  if (owner != null && typeof owner !== 'string') return `'owner' is a ${typeOf(owner)}, expected a string or null`;
  if (expiresAt != null && !(expiresAt instanceof Date)) return `'expiresAt' is a ${typeOf(expiresAt)}, expected a date`;
  if (owner != null && !(expiresAt instanceof Date)) return `it has an owner but no 'expiresAt' date`;
  if (fence != null && !(typeof fence === 'number' && Number.isInteger(fence))) return `'fence' is a ${typeOf(fence)}, expected an integer`;
  if (hostname != null && typeof hostname !== 'string') return `'hostname' is a ${typeOf(hostname)}, expected a string`;
  if (acquiredAt != null && !(acquiredAt instanceof Date)) return `'acquiredAt' is a ${typeOf(acquiredAt)}, expected a date`;
  const marker = parseInProgress(inProgress);
  if (typeof marker === 'string') return marker;
  return {
    status: status ?? null,
    owner: owner ?? null,
    expiresAt: expiresAt ?? null,
    fence: fence ?? 0,
    hostname: hostname ?? null,
    acquiredAt: acquiredAt ?? null,
    inProgress: marker,
    holderProcess: parseProcessIdentity(holderProcess) ?? null,
  };
}

function parseInProgress(value: unknown): InProgressChange | null | string {
  if (value == null) return null;
  if (typeof value !== 'object') return `'inProgress' is a ${typeOf(value)}, expected an object or null`;
  const { changeId, author, executionId, startedAt, hostname, step } = value as Record<string, unknown>;
  if (typeof changeId !== 'string' || typeof author !== 'string' || typeof executionId !== 'string' || !(startedAt instanceof Date)) {
    return `'inProgress' lacks changeId, author, executionId or startedAt`;
  }
  const marker = { changeId, author, executionId, startedAt, hostname: typeof hostname === 'string' ? hostname : '' };
  return step === 'execute' || step === 'rollback' ? { ...marker, step } : marker;
}

function typeOf(value: unknown): string {
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
