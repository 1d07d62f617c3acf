import { monotonicNow } from '../runtime/monotonic-now.ts';

/**
 * The time the lock manager lives by: a monotonic `now`, waiting between attempts, and the
 * background renewal. Injected so that lease expiry and renewal are tested in milliseconds.
 */
export interface Clock {
  /** Milliseconds on a monotonic clock (never set back by NTP or an operator). */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Calls `tick` every `ms` until the returned function is called; never keeps the process alive. */
  repeat(ms: number, tick: () => void): () => void;
}

/** The process's own clock: `monotonicNow()`, timers that are `unref`'d. */
export const systemClock: Clock = Object.freeze({
  now: () => monotonicNow(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  repeat(ms: number, tick: () => void): () => void {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
});
