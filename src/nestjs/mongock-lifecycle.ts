import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { errorMessage } from '../errors/mongock-error.ts';
import type { MongockRunner } from '../runner/mongock-runner.ts';
import { startInBackground } from './background-startup.ts';
import { type MongockMigration, trackMigration } from './mongock-migration.ts';
import type { MongockModuleOptions, MongockStartupHook } from './mongock-options.ts';
import { nestLogger } from './nest-logger.ts';

/**
 * What a lifecycle runs: when (`runOnStartup`, `startupHook`), the migration itself (its
 * rejection stops the start-up; it logs what it needs to), what to stop first at shutdown (a
 * background run) and what to free last.
 */
export interface StartupMigration {
  readonly runOnStartup?: boolean;
  readonly startupHook?: MongockStartupHook;
  readonly migrate: () => Promise<unknown>;
  readonly stop?: () => Promise<void>;
  readonly close?: () => Promise<void>;
}

/**
 * Runs a migration from the Nest lifecycle hook the options name, and cleans up at shutdown:
 * the hook plumbing of both `MongockModule` (one database) and `MongockTenantsModule`. A
 * provider built by a factory (no decorator metadata needed).
 *
 * Bootstrap blocks on the migration: Nest awaits lifecycle hooks, so `app.init()` and
 * `app.listen()` settle only after it. A failed migration rejects them with Mongock's error
 * (`CHANGE_FAILED`, with the change id and the original error as `cause`), which stops the
 * application; an unhandled rejection in `main.ts` ends the process with exit code 1.
 */
export class MongockLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly #startup: StartupMigration;
  #running: Promise<unknown> | undefined;

  constructor(startup: StartupMigration) {
    this.#startup = startup;
  }

  async onModuleInit(): Promise<void> {
    if (this.#runsAt('onModuleInit')) await this.#migrate();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.#runsAt('onApplicationBootstrap')) await this.#migrate();
  }

  /**
   * A shutdown that arrives while the start-up migration runs (a signal, with
   * `app.enableShutdownHooks()`) waits for it here, in the first shutdown phase, so the unit
   * finishes, its entry is recorded and the lock is released before the application closes
   * its database clients (usually in `beforeApplicationShutdown`/`onApplicationShutdown`). A
   * background run is stopped first: it ends at the next batch boundary, its checkpoint saved and
   * the lock released, before this hook returns.
   */
  async onModuleDestroy(): Promise<void> {
    await this.#startup.stop?.();
    await this.#running?.catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#startup.close?.();
  }

  #runsAt(hook: MongockStartupHook): boolean {
    return this.#startup.runOnStartup !== false && (this.#startup.startupHook ?? 'onApplicationBootstrap') === hook;
  }

  async #migrate(): Promise<void> {
    this.#running ??= this.#startup.migrate();
    await this.#running;
  }
}

/**
 * `MongockModule`'s start-up: one runner's `execute()` (with `background: true`,
 * `executeInBackground()`, see {@link startInBackground}), tracked by `migration`, its failure
 * logged before it stops the application; at shutdown a background run is stopped, then the
 * driver is closed when it owns a client (`driver.close()`).
 */
export function singleDatabaseStartup(options: MongockModuleOptions, runner: MongockRunner, migration: MongockMigration): StartupMigration {
  const logger = options.logger ?? nestLogger();
  const { driver } = options;
  return {
    runOnStartup: options.runOnStartup,
    startupHook: options.startupHook,
    migrate: async () => {
      try {
        return await (options.background === true ? startInBackground(runner, migration) : trackMigration(migration, runner.execute()));
      } catch (error) {
        logger.error(`Migration failed; the application does not start. ${errorMessage(error)}`);
        throw error;
      }
    },
    stop: () => migration.stop(),
    close: async () => {
      if (driver.close === undefined) return;
      try {
        await driver.close();
      } catch (error) {
        logger.warn(`Closing the ${driver.name} driver failed: ${errorMessage(error)}`);
      }
    },
  };
}
