/** Lock timings, in milliseconds (Mongock's `lockAcquiredForMillis` & co). */
export interface LockConfig {
  /** How long a lease lasts before it must be renewed. Default 60 000, minimum 3 000. */
  readonly acquiredForMs: number;
  /** How often to try again while another runner holds the lock. Default 1 000, minimum 100. */
  readonly tryFrequencyMs: number;
  /** How long to keep trying before giving up. Default 180 000; 0 tries once. */
  readonly quitTryingAfterMs: number;
}

/** The key of the one lock record, as Java Mongock writes it. */
export const LOCK_KEY = 'DEFAULT_KEY';

/** Lock collection/table, as Java Mongock names it. */
export const DEFAULT_LOCK_REPOSITORY_NAME = 'mongockLock';
export const DEFAULT_LOCK_CONFIG: LockConfig = Object.freeze({ acquiredForMs: 60_000, tryFrequencyMs: 1_000, quitTryingAfterMs: 180_000 });
/** `setLockQuickConfig()`: short leases and waits, for tests and small services. */
export const QUICK_LOCK_CONFIG: LockConfig = Object.freeze({ acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 10_000 });
export const MIN_LOCK_ACQUIRED_FOR_MS = 3_000;
export const MIN_LOCK_TRY_FREQUENCY_MS = 100;
