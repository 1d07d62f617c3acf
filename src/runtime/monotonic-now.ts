/**
 * Milliseconds on the process's monotonic clock, for durations and deadlines. Not
 * `performance.now()`: its first use loads `perf_hooks` (eleven internal modules), which a
 * start-up with nothing pending would pay for one duration. The runner's and the lock
 * manager's durations and deadlines are all read from this one clock, so they compare with
 * each other (not with `performance.now()`, whose origin differs).
 */
export function monotonicNow(): number {
  return Number(process.hrtime.bigint()) / 1_000_000;
}
