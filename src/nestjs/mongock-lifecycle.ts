import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { errorMessage } from '../errors/mongock-error.ts';
import type { Logger } from '../log/logger.ts';
import type { MigrationResult } from '../runner/migration-result.ts';
import type { MongockRunner } from '../runner/mongock-runner.ts';
import type { MongockModuleOptions } from './mongock-options.ts';
import { nestLogger } from './nest-logger.ts';

/**
 * Runs the migration from the Nest lifecycle hook the options name, and cleans up at shutdown.
 * A provider of `MongockModule`, built by a factory (no decorator metadata needed).
 *
 * Bootstrap blocks on the migration: Nest awaits lifecycle hooks, so `app.init()` and
 * `app.listen()` settle only after it. A failed migration rejects them with Mongock's error
 * (`CHANGE_FAILED`, with the change id and the original error as `cause`), which stops the
 * application; an unhandled rejection in `main.ts` ends the process with exit code 1.
 */
export class MongockLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly #options: MongockModuleOptions;
  readonly #runner: MongockRunner;
  readonly #logger: Logger;
  #startup: Promise<MigrationResult> | undefined;

  constructor(options: MongockModuleOptions, runner: MongockRunner) {
    this.#options = options;
    this.#runner = runner;
    this.#logger = options.logger ?? nestLogger();
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
   * its database clients (usually in `beforeApplicationShutdown`/`onApplicationShutdown`).
   */
  async onModuleDestroy(): Promise<void> {
    await this.#startup?.catch(() => undefined);
  }

  /** Closes the driver when it owns a client (`driver.close()`); drivers that borrow yours leave it to you. */
  async onApplicationShutdown(): Promise<void> {
    const { driver } = this.#options;
    if (driver.close === undefined) return;
    try {
      await driver.close();
    } catch (error) {
      this.#logger.warn(`Closing the ${this.#options.driver.name} driver failed: ${errorMessage(error)}`);
    }
  }

  #runsAt(hook: NonNullable<MongockModuleOptions['startupHook']>): boolean {
    return this.#options.runOnStartup !== false && (this.#options.startupHook ?? 'onApplicationBootstrap') === hook;
  }

  async #migrate(): Promise<void> {
    this.#startup ??= this.#runner.execute();
    try {
      await this.#startup;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#logger.error(`Migration failed; the application does not start. ${message}`);
      throw error;
    }
  }
}
