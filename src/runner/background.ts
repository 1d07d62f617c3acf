import { errorMessage } from '../errors/mongock-error.ts';
import type { Logger } from '../log/logger.ts';
import { monotonicNow } from '../runtime/monotonic-now.ts';
import { backgroundResult, resumePoint } from './background-result.ts';
import type { MigrationResult } from './migration-result.ts';
import type { RunBudget } from './run-budget.ts';
import type { ExecuteOptions } from './targets.ts';

/** A slice's budget when neither the call nor the config gives one. */
export const DEFAULT_BACKGROUND_SLICE_MS = 10_000;
/** Between slices the lock is free this long, so another instance's start-up or `status` gets in. */
export const BACKGROUND_GAP_MS = 250;

/** What `runner.executeInBackground()` takes: `execute()`'s options, and how long each slice may hold the lock. */
export interface BackgroundOptions extends ExecuteOptions {
  /** Each slice's time budget in ms (a `maxRunMs` per slice). Default the runner's `maxRunMs`, else 10 s. */
  readonly sliceMs?: number;
}

/** What `runner.executeInBackground()` returns. */
export interface BackgroundMigration {
  /**
   * The whole run's result: the last slice's status (`completed` / `up-to-date` once nothing is
   * left, `in-progress` when stopped), every unit's item as its slice settled it (a unit that
   * failed with `failFast: false` in an earlier slice stays `failed`). Rejects as `execute()` does.
   */
  readonly done: Promise<MigrationResult>;
  /** Stops at the next batch boundary (checkpoint saved, lock released) and waits for it; never rejects. */
  stop(): Promise<void>;
}

/**
 * Runs `slice` until it is no longer `in-progress`, or until `stop()`. Each slice after the first
 * resumes at the unit the one before stopped at (`resumeAt`): the units before it were settled,
 * and one background run attempts a unit at most once, as one `execute()` does (a unit failed
 * with `failFast: false` stays pending; the next start attempts it again).
 */
export function runInBackground(
  slice: (budget: RunBudget) => Promise<MigrationResult>,
  sliceMs = DEFAULT_BACKGROUND_SLICE_MS,
  logger: Logger,
): BackgroundMigration {
  let stopping = false;
  let wake: (() => void) | undefined;
  const done = (async () => {
    const startedAt = monotonicNow();
    let result: MigrationResult | undefined;
    for (let slices = 1; ; slices++) {
      const resumeAt = result === undefined ? undefined : resumePoint(result);
      const budget = { maxRunMs: sliceMs, stopRequested: () => stopping, ...(resumeAt === undefined ? {} : { resumeAt }) };
      result = backgroundResult(result, await slice(budget), startedAt);
      if (result.status !== 'in-progress' || stopping) return result;
      logger.debug(`Background migration: slice ${slices} stopped in progress; the next starts in ${BACKGROUND_GAP_MS} ms.`);
      await new Promise<void>((resolve) => {
        // Cleared when stop() wakes the gap early: a pending timer would keep a stopping host alive.
        const gap = setTimeout(resolve, BACKGROUND_GAP_MS);
        wake = () => {
          clearTimeout(gap);
          resolve();
        };
      });
      // Stopped during the gap: already at a batch boundary, the lock free; no slice takes it again.
      if (stopping) return result;
    }
  })();
  // An unobserved failure must not crash the host: it is logged, and `done` still rejects for whoever awaits it.
  done.catch((error: unknown) => logger.error(`Background migration failed: ${errorMessage(error)}`));
  return Object.freeze({
    done,
    async stop() {
      stopping = true;
      wake?.();
      await done.catch(() => undefined);
    },
  });
}
