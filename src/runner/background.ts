import { errorMessage } from '../errors/mongock-error.ts';
import type { Logger } from '../log/logger.ts';
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
  /** The last slice's result: `completed` / `up-to-date` once nothing is left, `in-progress` when stopped. Rejects as `execute()` does. */
  readonly done: Promise<MigrationResult>;
  /** Stops at the next batch boundary (checkpoint saved, lock released) and waits for it; never rejects. */
  stop(): Promise<void>;
}

/** Runs `slice` until it is no longer `in-progress`, or until `stop()`. */
export function runInBackground(
  slice: (budget: RunBudget) => Promise<MigrationResult>,
  sliceMs = DEFAULT_BACKGROUND_SLICE_MS,
  logger: Logger,
): BackgroundMigration {
  let stopping = false;
  let wake: (() => void) | undefined;
  const done = (async () => {
    for (let slices = 1; ; slices++) {
      const result = await slice({ maxRunMs: sliceMs, stopRequested: () => stopping });
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
