import type { DriverConnection } from '../drivers/driver.ts';
import { silentLogger } from '../log/logger.ts';
import type { MarkOptions, MarkResult } from '../runner/mark-options.ts';
import { createRunner } from '../runner/mongock-builder.ts';
import type { MongockConfig } from '../runner/mongock-config.ts';
import type { MongockRunner } from '../runner/mongock-runner.ts';
import { type ResolvedConfig, resolveConfig } from '../runner/resolve-config.ts';
import type { UnlockResult } from '../runner/runner-results.ts';
import { buildSnapshot, type DatabaseSnapshot, type LockView, lockView } from './database-snapshot.ts';

/** One database the dashboard shows: a name and the configuration that migrates it. */
export interface DashboardTarget {
  /** Shown on the page and used in API paths (`/api/databases/<name>`). */
  readonly name: string;
  readonly config: MongockConfig;
}

/**
 * Reads one database for the dashboard, never writing to it: the units' states and the lock
 * through the runner's `status()`, the history through a connection of the driver. Reads that
 * arrive within `cacheMs` of each other share one round of queries, so a page refreshing live
 * costs the database the same whatever the number of viewers.
 */
export class DashboardDatabase {
  readonly name: string;
  readonly driver: string;
  readonly #runner: MongockRunner;
  readonly #config: ResolvedConfig;
  readonly #cacheMs: number;
  #snapshot: Cached<DatabaseSnapshot> | undefined;
  #lock: Cached<LockView | null> | undefined;

  constructor(target: DashboardTarget, cacheMs: number) {
    this.name = target.name;
    // The dashboard's reads log nothing: its own requests are logged by the handler.
    const config = { ...target.config, logger: target.config.logger ?? silentLogger };
    this.#config = resolveConfig(config);
    this.#runner = createRunner(config);
    this.driver = this.#config.driver.name;
    this.#cacheMs = cacheMs;
  }

  get runner(): MongockRunner {
    return this.#runner;
  }

  /** Units, executions, durations and lock, at most `cacheMs` old. */
  snapshot(): Promise<DatabaseSnapshot> {
    this.#snapshot = fresh(this.#snapshot, this.#cacheMs, () => this.#readSnapshot());
    return this.#snapshot.value;
  }

  /** The lock alone (what the live panel polls), at most `cacheMs` old. */
  lock(): Promise<LockView | null> {
    this.#lock = fresh(this.#lock, this.#cacheMs, () => this.#withConnection(async (connection) => lockView(await connection.lock.inspect(), new Date())));
    return this.#lock.value;
  }

  /** `mongock unlock --force`: clears the lock and any interrupted-change marker. */
  async unlock(): Promise<UnlockResult> {
    this.#snapshot = undefined;
    this.#lock = undefined;
    return this.#runner.unlock({ force: true });
  }

  /** `mongock mark`: records a human decision about one unit in the history (never with `force`). */
  async mark(options: Omit<MarkOptions, 'force' | 'dryRun' | 'allPending'>): Promise<MarkResult> {
    this.#snapshot = undefined;
    this.#lock = undefined;
    try {
      return await this.#runner.mark({ ...options, force: false, dryRun: false });
    } finally {
      this.#snapshot = undefined;
    }
  }

  async #readSnapshot(): Promise<DatabaseSnapshot> {
    const [status, history] = await Promise.all([this.#runner.status(), this.#withConnection((connection) => connection.readHistory())]);
    return buildSnapshot({
      name: this.name,
      driver: this.driver,
      units: status.units,
      history,
      lock: status.lock,
      serviceIdentifier: this.#config.serviceIdentifier,
      now: new Date(),
    });
  }

  async #withConnection<T>(work: (connection: DriverConnection<object>) => Promise<T>): Promise<T> {
    const { driver, migrationRepositoryName, lockRepositoryName, logger } = this.#config;
    const connection = await driver.connect({ migrationRepositoryName, lockRepositoryName, logger });
    try {
      return await work(connection);
    } finally {
      await connection.close();
    }
  }
}

interface Cached<T> {
  readonly value: Promise<T>;
  settledAt: number | undefined;
  failed: boolean;
}

/** The cached read while it runs or is young enough, else a new one; a failed read is retried at once. */
function fresh<T>(cached: Cached<T> | undefined, maxAgeMs: number, read: () => Promise<T>): Cached<T> {
  if (cached !== undefined && !cached.failed && (cached.settledAt === undefined || performance.now() - cached.settledAt < maxAgeMs)) return cached;
  const entry: Cached<T> = { value: read(), settledAt: undefined, failed: false };
  entry.value.then(
    () => {
      entry.settledAt = performance.now();
    },
    () => {
      entry.failed = true;
    },
  );
  return entry;
}
