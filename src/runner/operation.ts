import type { DriverConnection, InProgressChange } from '../drivers/driver.ts';
import { interruptedChangeError } from '../errors/error-builders.ts';
import { errorMessage, isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { LockManager } from '../lock/lock-manager.ts';
import { builtins } from '../runtime/builtins.ts';
import type { EventBus } from './events.ts';
import type { RunContext } from './execution/run-context.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import type { RunBudget } from './run-budget.ts';

/** The lock as an operation holds it. */
export interface HeldLock {
  readonly connection: DriverConnection<object>;
  readonly lock: LockManager;
  /** The change a crashed holder left in progress; only ever set for operations that recover it. */
  readonly interrupted: InProgressChange | null;
}

export interface LockOptions {
  /** Asked while waiting: false when another instance did the work meanwhile, so waiting stops. */
  readonly stillNeeded?: () => Promise<boolean>;
  /** The operation settles an interrupted change itself (migrate, mark); the others refuse to run over one. */
  readonly recoversInterrupted?: boolean;
  /** One attempt only: a live holder means LOCK_NOT_ACQUIRED at once (`mark` never waits for a runner). */
  readonly noWait?: boolean;
}

/** `withLock`'s answer when `stillNeeded` said the work was done by another instance. */
export const NOT_NEEDED: unique symbol = Symbol('not-needed');

/**
 * The skeleton every runner operation shares, as Kysely's `runWithLock`: connect → lock → (the
 * operation re-plans under the lock and runs its scopes) → release → close. Each operation
 * opens and closes its own connection.
 */
export class Operation {
  readonly #config: ResolvedConfig;
  readonly #events: EventBus;

  constructor(config: ResolvedConfig, events: EventBus) {
    this.#config = config;
    this.#events = events;
  }

  async withConnection<T>(work: (connection: DriverConnection<object>) => Promise<T>): Promise<T> {
    const { driver, migrationRepositoryName, lockRepositoryName, logger } = this.#config;
    try {
      const connection = await driver.connect({ migrationRepositoryName, lockRepositoryName, logger });
      try {
        return await work(connection);
      } finally {
        await connection.close();
      }
    } catch (error) {
      throw this.#asMongockError(error);
    }
  }

  /**
   * A client's raw error (a missing column, a refused statement) becomes a `DRIVER_ERROR` that
   * says where: the driver and the history and lock stores, with the original as `cause` and its
   * message, never its stack, in the message (`--verbose` prints stacks).
   */
  #asMongockError(error: unknown): MongockError {
    if (isMongockError(error)) return error;
    const { driver, migrationRepositoryName, lockRepositoryName } = this.#config;
    return new MongockError(
      'DRIVER_ERROR',
      `The ${driver.name} database refused an operation on Mongock's history '${migrationRepositoryName}' or lock '${lockRepositoryName}': ${errorMessage(error)}. ` +
        'If one of them was created by hand or by another tool, check its shape (see the driver docs) or point migrationRepositoryName / lockRepositoryName elsewhere.',
      { cause: error },
    );
  }

  /** Takes the lock (waiting as `lockConfig` says), runs `work`, and always releases it. */
  async withLock<T>(connection: DriverConnection<object>, work: (held: HeldLock) => Promise<T>, options: LockOptions = {}): Promise<T | typeof NOT_NEEDED> {
    const lock = await this.#lockManager(connection, options.noWait === true);
    try {
      const acquired = await lock.acquire(options.stillNeeded);
      if (acquired === 'not-needed') return NOT_NEEDED;
      // Undo and checksum repair must not run over a half-applied change.
      if (acquired !== null && options.recoversInterrupted !== true) throw interruptedChangeError(acquired);
      return await work({ connection, lock, interrupted: acquired });
    } finally {
      await lock.release();
    }
  }

  /** What one run under `held` shares; `budget` bounds its batched units (`maxRunMs` from `startedAt`, default the config's). */
  runContext(held: HeldLock, executionId: string, transactional: boolean, budget: RunBudget = {}): RunContext {
    const { connection, lock } = held;
    const maxRunMs = budget.maxRunMs ?? this.#config.maxRunMs;
    const deadline = maxRunMs > 0 ? (budget.startedAt ?? this.#config.clock.now()) + maxRunMs : Number.POSITIVE_INFINITY;
    const stopRequested = budget.stopRequested ?? (() => false);
    return { config: this.#config, connection, lock, events: this.#events, executionId, hostname: this.hostname(), transactional, deadline, stopRequested };
  }

  /** Whether execution items run in transactions: as configured, else when the connected database has them. */
  transactional(connection: DriverConnection<object>): boolean {
    const wanted = this.#config.transactional;
    if (wanted === true && !connection.capabilities.transactions) {
      throw new MongockError(
        'INVALID_CONFIG',
        `Option 'transactional' is true, but this ${this.#config.driver.name} database cannot run transactions (e.g. a standalone server). Use a deployment with transactions, or remove the option.`,
      );
    }
    return wanted ?? connection.capabilities.transactions;
  }

  hostname(): string {
    const id = this.#config.serviceIdentifier;
    return id === undefined ? builtins.os().hostname() : `${builtins.os().hostname()}-${id}`;
  }

  /** Imported here, not at the top: an operation that never locks (a start-up with nothing pending) never loads it. */
  async #lockManager(connection: DriverConnection<object>, noWait: boolean): Promise<LockManager> {
    const { LockManager } = await import('../lock/lock-manager.ts');
    return new LockManager({
      primitive: connection.lock,
      config: noWait ? { ...this.#config.lockConfig, quitTryingAfterMs: 0 } : this.#config.lockConfig,
      lease: connection.capabilities.lease,
      owner: builtins.crypto().randomUUID(),
      hostname: this.hostname(),
      logger: this.#config.logger,
      clock: this.#config.clock,
      onWaiting: (holder, waitedMs) => this.#events.emit('lock-waiting', { holder: holder?.owner ?? null, waitedMs }),
    });
  }
}
