import { leaseLostError } from '../../errors/error-builders.ts';
import type { ForceReleaseOptions, InProgressChange, LockAttempt, LockHolder, LockLease, LockPrimitive, LockRequest } from '../driver.ts';

interface LockRecord {
  owner: string;
  hostname: string;
  acquiredAt: number;
  expiresAt: number;
}

/** A lease lock judged by the database's clock, with a fence that grows on every grant. */
export class MemoryLock implements LockPrimitive {
  readonly #now: () => number;
  #record: LockRecord | undefined;
  #fence = 0;
  #inProgress: InProgressChange | null = null;

  constructor(now: () => number) {
    this.#now = now;
  }

  async tryAcquire(request: LockRequest): Promise<LockAttempt> {
    const now = this.#now();
    if (this.#record !== undefined && this.#record.expiresAt > now) return { acquired: false, holder: this.#holder() };
    this.#fence += 1;
    this.#record = { owner: request.owner, hostname: request.hostname, acquiredAt: now, expiresAt: now + request.leaseMs };
    return { acquired: true, lease: { owner: request.owner, fence: this.#fence }, interrupted: this.#inProgress };
  }

  async renew(lease: LockLease, leaseMs: number): Promise<boolean> {
    if (!this.#owns(lease)) return false;
    this.#record!.expiresAt = this.#now() + leaseMs;
    return true;
  }

  async release(lease: LockLease): Promise<boolean> {
    if (!this.#owns(lease)) return false;
    this.#record = undefined;
    return true;
  }

  async markInProgress(lease: LockLease, change: InProgressChange | null): Promise<void> {
    this.assertOwner(lease);
    this.#inProgress = change;
  }

  async inspect(): Promise<LockHolder | null> {
    return this.#record === undefined && this.#inProgress === null ? null : this.#holder();
  }

  async forceRelease(options: ForceReleaseOptions = {}): Promise<boolean> {
    if (options.onlyIfExpired === true && this.#record !== undefined && this.#record.expiresAt > this.#now()) return false;
    const had = this.#record !== undefined || this.#inProgress !== null;
    this.#record = undefined;
    this.#inProgress = null;
    return had;
  }

  /** The fencing check made at every commit. */
  assertOwner(lease: LockLease): void {
    if (!this.#owns(lease)) {
      throw leaseLostError(lease, 'the in-memory lock');
    }
  }

  #owns(lease: LockLease): boolean {
    const record = this.#record;
    return record !== undefined && record.owner === lease.owner && this.#fence === lease.fence && record.expiresAt > this.#now();
  }

  #holder(): LockHolder {
    const record = this.#record;
    return {
      owner: record?.owner ?? '',
      hostname: record?.hostname ?? '',
      acquiredAt: record === undefined ? null : new Date(record.acquiredAt),
      expiresAt: record === undefined ? null : new Date(record.expiresAt),
      expired: record === undefined || record.expiresAt <= this.#now(),
      inProgress: this.#inProgress,
    };
  }
}
