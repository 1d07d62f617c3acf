import { MongockError } from '../errors/mongock-error.ts';
import type { Logger } from '../log/logger.ts';
import { type Clock, systemClock } from './clock.ts';
import type { LockConfig } from './lock-config.ts';
import type { InProgressChange, LockGuard, LockHolder, LockLease, LockPrimitive } from './lock-primitive.ts';
import { currentProcess } from './process-identity.ts';

/** Fraction of the lease after which the holder renews (Mongock renews at a third). */
const RENEW_AFTER_FRACTION = 1 / 3;
/** Fraction of the lease kept as a safety margin: the holder stops before the server could expire it. */
const SAFETY_MARGIN_FRACTION = 0.1;

export interface LockManagerOptions {
  readonly primitive: LockPrimitive;
  readonly config: LockConfig;
  /** Whether the lock is a lease to renew (driver capability `lease`). */
  readonly lease: boolean;
  readonly owner: string;
  readonly hostname: string;
  readonly logger: Logger;
  readonly onWaiting?: (holder: LockHolder | null, waitedMs: number) => void;
  /** Default {@link systemClock}; tests pass a manual one. */
  readonly clock?: Clock;
}

/**
 * Acquires the driver's lock with Mongock's wait-and-retry, keeps a lease alive in the
 * background, tracks a local monotonic deadline (so a paused holder stops by itself even if it
 * cannot reach the database), and guards database calls made by change units.
 */
export class LockManager implements LockGuard {
  readonly #options: LockManagerOptions;
  #lease: LockLease | undefined;
  readonly #clock: Clock;
  /** `clock.now()` after which the lease must be considered lost. */
  #deadline = Number.POSITIVE_INFINITY;
  #lostCause: unknown;
  #renewing: Promise<void> | undefined;
  /**
   * The holder's writes to the lock record, one at a time: the background renewal and the
   * in-progress marker would otherwise overlap, and a server that updates a document by reading
   * and rewriting it whole (FerretDB 1.x) keeps only one of two concurrent updates, losing the
   * marker (so a crash mid-change went unnoticed) or the renewal.
   */
  #writes: Promise<unknown> = Promise.resolve();
  #released = false;
  #stopRenewal: (() => void) | undefined;
  /** A recorded change's marker is still to clear (see {@link LockManager.settleInProgress}). */
  #settled = false;

  constructor(options: LockManagerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get lease(): LockLease {
    if (this.#lease === undefined) throw new Error('The lock is not held');
    return this.#lease;
  }

  /**
   * Tries until `quitTryingAfterMs`. Returns the change a crashed holder left in progress (if
   * any), or throws `LOCK_NOT_ACQUIRED` naming the current holder. Between attempts it asks
   * `stillNeeded`: when the holder has meanwhile done all the work, waiting is pointless and the
   * result is `'not-needed'` (the lock is not taken).
   */
  async acquire(stillNeeded?: () => Promise<boolean>): Promise<InProgressChange | null | 'not-needed'> {
    const { primitive, config, owner, hostname, logger } = this.#options;
    const started = this.#clock.now();
    for (;;) {
      const attemptStart = this.#clock.now();
      const attempt = await primitive.tryAcquire({
        owner,
        hostname,
        leaseMs: config.acquiredForMs,
        process: currentProcess(),
        // A single attempt never outlasts the budget (SQLite's busy wait would otherwise take 5 s),
        // nor, on a lease, a third of the lease: the local deadline counts from the attempt's start,
        // so a longer wait would hand over a lease that already reads as lost.
        maxWaitMs: Math.max(0, Math.floor(Math.min(config.quitTryingAfterMs - (attemptStart - started), this.#maxAttemptWaitMs()))),
        onLost: (cause) => this.#markLost(cause),
      });
      if (attempt.acquired) {
        this.#lease = attempt.lease;
        this.#lostCause = undefined;
        if (this.#options.lease) {
          this.#deadline = attemptStart + config.acquiredForMs * (1 - SAFETY_MARGIN_FRACTION);
          this.#scheduleRenewal();
        }
        logger.debug(`Lock acquired by ${owner} (fence ${attempt.lease.fence}).`);
        return attempt.interrupted;
      }
      const waited = this.#clock.now() - started;
      if (waited + config.tryFrequencyMs > config.quitTryingAfterMs) {
        // Giving up is wrong if the holder finished the work meanwhile: ask one last time.
        if (stillNeeded !== undefined && !(await stillNeeded())) return 'not-needed';
        throw new MongockError(
          'LOCK_NOT_ACQUIRED',
          `Could not obtain the Mongock lock within ${config.quitTryingAfterMs} ms: ${describeHolder(attempt.holder)}. ` +
            'Another instance is probably migrating; wait for it, raise lockConfig.quitTryingAfterMs, or, if that holder is dead, run `mongock unlock`.',
        );
      }
      this.#options.onWaiting?.(attempt.holder, waited);
      logger.info(`Waiting for the lock (${describeHolder(attempt.holder)}); retrying in ${config.tryFrequencyMs} ms.`);
      await this.#clock.sleep(config.tryFrequencyMs);
      if (stillNeeded !== undefined && !(await stillNeeded())) return 'not-needed';
    }
  }

  #maxAttemptWaitMs(): number {
    return this.#options.lease ? this.#options.config.acquiredForMs * RENEW_AFTER_FRACTION : Number.POSITIVE_INFINITY;
  }

  /** Throws `LOCK_LOST` if the lock is gone; renews a lease that is past a third of its life. */
  async ensure(): Promise<void> {
    if (this.#released) {
      // Work a change left running in the background after the run ended must not go on unguarded.
      throw new MongockError('LOCK_LOST', 'The Mongock lock was released at the end of the run; a change kept using the database after it finished.');
    }
    this.#throwIfLost();
    if (!this.#options.lease) return;
    if (this.#clock.now() > this.#deadline) {
      this.#markLost(new Error('the lease ran out before it could be renewed (process paused or database unreachable)'));
      this.#throwIfLost();
    }
    const renewAt = this.#deadline - this.#options.config.acquiredForMs * (1 - SAFETY_MARGIN_FRACTION - RENEW_AFTER_FRACTION);
    if (this.#clock.now() >= renewAt) await this.#renew();
    this.#throwIfLost();
  }

  /** Records or clears the non-transactional change in progress. */
  async markInProgress(change: InProgressChange | null): Promise<void> {
    await this.ensure();
    this.#settled = false;
    const lease = this.lease;
    await this.#oneWrite(() => this.#options.primitive.markInProgress(lease, change));
  }

  /**
   * The change in progress was recorded (EXECUTED or ROLLED_BACK): its marker may be cleared
   * lazily, by the next change's marker (which replaces it) or at release. Until then a crash
   * leaves a marker whose change the history shows settled, which the next run recognises as
   * stale; so one write per change is saved without losing crash detection.
   */
  settleInProgress(): void {
    this.#settled = true;
  }

  /** Stops renewing and releases the lock if still ours. Never throws: the run's outcome matters more. */
  async release(): Promise<void> {
    this.#stopTimer();
    await this.#renewing;
    if (this.#settled && this.#lease !== undefined && !this.lost) {
      this.#settled = false;
      const settled = this.#lease;
      await this.#oneWrite(() => this.#options.primitive.markInProgress(settled, null)).catch((error: unknown) => {
        this.#options.logger.warn(`Could not clear the in-progress marker of a recorded change: ${String(error)}. The next run finds it settled.`);
      });
    }
    const lease = this.#lease;
    if (lease !== undefined) this.#released = true;
    this.#lease = undefined;
    if (lease === undefined) return;
    try {
      const released = await this.#oneWrite(() => this.#options.primitive.release(lease));
      if (!released) this.#options.logger.warn(`Lock was no longer held by ${lease.owner} at release; left untouched.`);
    } catch (error) {
      this.#options.logger.warn(
        `Could not release the lock: ${String(error)}. ${this.#options.lease ? 'Its lease expires on its own.' : 'It ends with its database connection, which is closed rather than reused.'}`,
      );
    }
  }

  get lost(): boolean {
    return this.#lostCause !== undefined;
  }

  /** The LOCK_LOST error describing why the lock was lost, or undefined while it is held. */
  lostError(): MongockError | undefined {
    const cause = this.#lostCause;
    if (cause === undefined) return undefined;
    if (cause instanceof MongockError && cause.code === 'LOCK_LOST') return cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new MongockError('LOCK_LOST', `The Mongock lock was lost (${reason}); stopping so that no change runs unguarded. Run again to finish.`, { cause });
  }

  #throwIfLost(): void {
    const error = this.lostError();
    if (error !== undefined) throw error;
  }

  #markLost(cause: unknown): void {
    if (this.#lostCause === undefined) {
      this.#lostCause = cause ?? new Error('lock lost');
      this.#options.logger.error(`Lock lost: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
    this.#stopTimer();
  }

  #scheduleRenewal(): void {
    this.#stopTimer();
    const every = Math.max(1, Math.floor(this.#options.config.acquiredForMs * RENEW_AFTER_FRACTION));
    this.#stopRenewal = this.#clock.repeat(every, () => {
      this.#renew().catch(() => undefined);
    });
  }

  #stopTimer(): void {
    this.#stopRenewal?.();
    this.#stopRenewal = undefined;
  }

  /** Runs `write` once the holder's previous write to the lock record has settled. */
  #oneWrite<T>(write: () => Promise<T>): Promise<T> {
    const next = this.#writes.then(write, write);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  async #renew(): Promise<void> {
    if (this.#renewing !== undefined) return this.#renewing;
    const lease = this.#lease;
    if (lease === undefined || this.lost) return;
    const started = this.#clock.now();
    this.#renewing = (async () => {
      try {
        if (started > this.#deadline) {
          this.#markLost(new Error('the lease ran out before it could be renewed (process paused or database unreachable)'));
          return;
        }
        const renewed = await this.#oneWrite(() => this.#options.primitive.renew(lease, this.#options.config.acquiredForMs));
        if (!renewed) this.#markLost(new Error('another runner took the lock over after the lease expired'));
        else this.#deadline = started + this.#options.config.acquiredForMs * (1 - SAFETY_MARGIN_FRACTION);
      } catch (error) {
        // A failed round trip is not a lost lock: the next attempt or the deadline decides.
        this.#options.logger.warn(`Could not renew the lock: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.#renewing = undefined;
      }
    })();
    return this.#renewing;
  }
}

/** One line about who holds the lock, for messages. */
export function describeHolder(holder: LockHolder | null): string {
  if (holder === null) return 'held by another runner';
  const since = holder.acquiredAt === null ? '' : ` since ${holder.acquiredAt.toISOString()}`;
  const until = holder.expiresAt === null ? '' : `, lease until ${holder.expiresAt.toISOString()}`;
  return `held by ${holder.owner} on ${holder.hostname}${since}${until}`;
}
