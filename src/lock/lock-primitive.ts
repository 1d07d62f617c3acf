// The database side of the lock, which every driver implements (re-exported by the driver contract).
import type { ProcessIdentity } from './process-identity.ts';

/** Checked by a driver's handles before each database call made by a change method. */
export interface LockGuard {
  ensure(): Promise<void>;
}

/** The database side of the distributed lock; the core's lock manager drives it. */
export interface LockPrimitive {
  /** One attempt. Never waits longer than a single round trip or statement. */
  tryAcquire(request: LockRequest): Promise<LockAttempt>;
  /** Extends a lease (owner- and fence-checked); false when the lease is no longer ours. */
  renew(lease: LockLease, leaseMs: number): Promise<boolean>;
  /** Releases the lock only if `lease` still owns it; false when it did not. */
  release(lease: LockLease): Promise<boolean>;
  /** Records (or clears, with null) the non-transactional change in progress, for crash detection. */
  markInProgress(lease: LockLease, change: InProgressChange | null): Promise<void>;
  /**
   * Who holds the lock now, read-only; null when nobody does. A lease that is being renewed reads
   * as live (`expired: false`), even while its holder's renewal waits inside a transaction. Never
   * throws on what it reads: a record it cannot parse is reported in `LockHolder.problem`.
   */
  inspect(): Promise<LockHolder | null>;
  /**
   * Clears the lock and any in-progress marker (`mongock unlock`), whatever their content, even
   * unreadable. With `onlyIfExpired` the holder's expiry (or death) is checked again in the same
   * atomic write that clears, so a holder that renewed meanwhile keeps its lock. A session lock
   * held by a live session is never cleared (only ending that session releases it).
   */
  forceRelease(options?: ForceReleaseOptions): Promise<boolean>;
}

/**
 * `onlyIfExpired`: release only a lock whose lease has run out (what a takeover does); otherwise
 * release whoever holds it.
 */
export interface ForceReleaseOptions {
  readonly onlyIfExpired?: boolean;
}

/**
 * What a runner asks the lock primitive for: who it is, for how long, and what to do if the lock is
 * lost.
 */
export interface LockRequest {
  readonly owner: string;
  readonly leaseMs: number;
  readonly hostname: string;
  /** The requesting process (stored with the lease, so that a dead holder on the same host is taken over at once); null off Linux. */
  readonly process?: ProcessIdentity | null;
  /** The attempt must not block longer than this (what is left of `quitTryingAfterMs`). */
  readonly maxWaitMs?: number;
  /** Session-lock drivers call this when the lock's connection is lost. */
  readonly onLost: (cause: unknown) => void;
}

/**
 * The answer to one acquire attempt: the lease (and any change a crashed holder left in progress), or
 * who holds the lock.
 */
export type LockAttempt =
  | { readonly acquired: true; readonly lease: LockLease; readonly interrupted: InProgressChange | null }
  | { readonly acquired: false; readonly holder: LockHolder | null };

/** A granted lock. `fence` grows with every grant; writes check it. */
export interface LockLease {
  readonly owner: string;
  readonly fence: number;
}

/**
 * Who holds a lock, as the database records it: for `unlock()`, the `lock-waiting` event and the
 * dashboard.
 */
export interface LockHolder {
  readonly owner: string;
  readonly hostname: string;
  readonly acquiredAt: Date | null;
  /** Null for session locks, which do not expire. */
  readonly expiresAt: Date | null;
  /** Whether the holder's lease has run out by the database's clock, or its process is known dead. */
  readonly expired: boolean;
  readonly inProgress: InProgressChange | null;
  /** The holder's process, when the driver stores it. */
  readonly process?: ProcessIdentity | null;
  /** The holder ran on this host and its process is gone: its lock can be taken over at once. */
  readonly gone?: boolean;
  /** What is wrong with the lock record (unreadable in-progress marker, say) and how to clear it. */
  readonly problem?: string;
}

/** A non-transactional change that had started and not finished, kept with the lock. */
export interface InProgressChange {
  readonly changeId: string;
  readonly author: string;
  readonly executionId: string;
  readonly startedAt: Date;
  readonly hostname: string;
  /** Which method was running: the change itself or its rollback. Missing in older markers. */
  readonly step?: InProgressStep;
}

export type InProgressStep = 'execute' | 'rollback';
