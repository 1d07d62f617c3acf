import type { BackgroundMigration } from '../runner/background.ts';
import type { MigrationResult } from '../runner/migration-result.ts';

/**
 * What `MongockModule`'s own migration is doing: `idle` until its start-up hook runs (and for
 * good with `runOnStartup: false`), `running`, `stopping` (the application is shutting down: the
 * background run ends at the next batch boundary), `finished` (see `result.status`: `completed`,
 * `up-to-date`, or `in-progress` when stopped with batched work left) or `failed` (see `error`).
 */
export type MongockMigrationState = 'idle' | 'running' | 'stopping' | 'finished' | 'failed';

interface Tracking {
  state: MongockMigrationState;
  result: MigrationResult | undefined;
  error: unknown;
  background: BackgroundMigration | undefined;
  settle(run: Promise<MigrationResult>): void;
}

const tracking = new WeakMap<MongockMigration, Tracking>();

/**
 * The module's own migration, injectable (by this class or `MONGOCK_MIGRATION`), in both modes:
 * the start-up `execute()`, or with `background: true` the run that goes on while the application
 * serves. For a health check or a readiness probe, or to await the end of the batched work.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common';
 * import { MongockMigration } from 'mongock/nestjs';
 *
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly migration: MongockMigration) {}
 *   @Get() health() {
 *     return { migration: this.migration.state, status: this.migration.result?.status ?? null };
 *   }
 * }
 * ```
 */
export class MongockMigration {
  /**
   * Settles when the module's migration is over: with its result, or rejected with its
   * `MongockError`. Never settles while `state` is `idle`. A rejection nobody awaits is not an
   * unhandled rejection (the module logs it through the Nest logger).
   */
  readonly done: Promise<MigrationResult>;

  constructor() {
    let settle!: (run: Promise<MigrationResult>) => void;
    this.done = new Promise<MigrationResult>((resolve, reject) => {
      settle = (run) => run.then(resolve, reject);
    });
    this.done.catch(() => undefined);
    const state: Tracking = { state: 'idle', result: undefined, error: undefined, background: undefined, settle };
    tracking.set(this, state);
    this.done.then(
      (result) => Object.assign(state, { state: 'finished', result }),
      (error: unknown) => Object.assign(state, { state: 'failed', error }),
    );
  }

  get state(): MongockMigrationState {
    return tracked(this).state;
  }

  /** The finished migration's result; undefined before. */
  get result(): MigrationResult | undefined {
    return tracked(this).result;
  }

  /** Why the migration failed (a `MongockError`, the original error as its `cause`); undefined otherwise. */
  get error(): unknown {
    return tracked(this).error;
  }

  /**
   * Stops a background run at the next batch boundary (checkpoint saved, lock released) and
   * waits for it; the next start resumes. Nothing to stop (a start-up `execute()`, or over):
   * resolves at once. Never rejects. The module calls it at application shutdown.
   */
  async stop(): Promise<void> {
    const state = tracked(this);
    if (state.background === undefined || state.state !== 'running') return;
    state.state = 'stopping';
    await state.background.stop();
  }
}

function tracked(migration: MongockMigration): Tracking {
  return tracking.get(migration)!;
}

/** Marks `migration` running, for `run` (and `background`, which `stop()` stops); returns `run`. */
export function trackMigration(migration: MongockMigration, run: Promise<MigrationResult>, background?: BackgroundMigration): Promise<MigrationResult> {
  const state = tracked(migration);
  if (state.state === 'idle') {
    state.state = 'running';
    state.background = background;
    state.settle(run);
  }
  return run;
}
