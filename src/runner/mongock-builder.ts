import type { ChangeUnitSource } from '../change/collect-change-units.ts';
import type { Driver } from '../drivers/driver.ts';
import { MongockError } from '../errors/mongock-error.ts';
import type { Clock } from '../lock/clock.ts';
import type { Logger } from '../log/logger.ts';
import { optionTypeProblems } from './config-checks.ts';
import type { MongockEvents } from './events.ts';
import {
  type ChangeUnitFactory,
  type ChecksumMismatchPolicy,
  type FileWithoutUnitsPolicy,
  type InterruptedChangePolicy,
  type LegacyMigrationOptions,
  type LockConfig,
  type MongockConfig,
  QUICK_LOCK_CONFIG,
  type TransactionStrategy,
} from './mongock-config.ts';
import { MongockRunner } from './mongock-runner.ts';
import { resolveConfig } from './resolve-config.ts';
import { traceRunner } from './runner-tracing.ts';

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };
type Listener<E extends keyof MongockEvents> = (payload: MongockEvents[E]) => void;

/**
 * Builds a validated {@link MongockRunner}, Mongock-style. Every setter has an equivalent
 * {@link MongockConfig} option; `buildRunner()` validates them all at once.
 *
 * @example
 * ```ts
 * import { MongockBuilder } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * // What your change units receive by name, beside the driver's context.
 * declare const clientsApi: { list(): Promise<string[]> };
 *
 * const runner = new MongockBuilder()
 *   .setDriver(sqliteDriver({ filename: 'app.db' }))
 *   .addMigrationScanPath('./migrations')
 *   .setLockQuickConfig()
 *   .withMetadata({ release: '2026.11' })
 *   .addDependency('clientsApi', clientsApi)
 *   .buildRunner();
 * const result = await runner.execute();
 * console.log(result.executed);
 * ```
 */
export class MongockBuilder<TContext extends object = object> {
  readonly #config: Mutable<MongockConfig<object>> = {};
  readonly #scanPaths: string[] = [];
  readonly #changeUnits: ChangeUnitSource[] = [];
  readonly #dependencies: Record<string, unknown> = {};
  readonly #listeners: Array<(runner: MongockRunner) => void> = [];

  /** Starts from a plain config (e.g. a loaded `mongock.config.ts`); later setters override it. */
  setConfig(config: MongockConfig<TContext>): this {
    if (typeof config !== 'object' || config === null) throw new MongockError('INVALID_CONFIG', 'Invalid Mongock configuration: expected an options object.');
    // These three are merged with what the builder holds: their types are checked before anything is merged.
    const problems = optionTypeProblems(config as unknown as Record<string, unknown>, ['migrationScanPath', 'changeUnits', 'dependencies']);
    if (problems.length > 0) throw new MongockError('INVALID_CONFIG', `Invalid Mongock configuration:\n  - ${problems.join('\n  - ')}`, { problems });
    const { migrationScanPath, changeUnits, dependencies, ...rest } = config as MongockConfig<object>;
    Object.assign(this.#config, rest);
    if (migrationScanPath !== undefined) this.#scanPaths.push(...(typeof migrationScanPath === 'string' ? [migrationScanPath] : migrationScanPath));
    if (changeUnits !== undefined) this.#changeUnits.push(...changeUnits);
    if (dependencies !== undefined) Object.assign(this.#dependencies, dependencies);
    return this;
  }

  setDriver<T extends object>(driver: Driver<T>): MongockBuilder<T> {
    this.#config.driver = driver as Driver<object>;
    return this as unknown as MongockBuilder<T>;
  }

  /** A folder (or file) of change unit modules; may be called several times. */
  addMigrationScanPath(...paths: string[]): this {
    this.#scanPaths.push(...paths);
    return this;
  }

  /** Decorated classes or `defineChangeUnit` objects. */
  addChangeUnits(...units: ChangeUnitSource[]): this {
    this.#changeUnits.push(...units);
    return this;
  }

  /** A value change methods receive in their context under `name`. */
  addDependency(name: string, value: unknown): this {
    this.#dependencies[name] = value;
    return this;
  }

  setLockConfig(lockConfig: Partial<LockConfig>): this {
    this.#config.lockConfig = { ...lockConfig };
    return this;
  }

  /** Short leases and waits (3 s lease, 100 ms retries, 10 s give-up): tests, small services. */
  setLockQuickConfig(): this {
    this.#config.lockConfig = QUICK_LOCK_CONFIG;
    return this;
  }

  setEnabled(enabled: boolean): this {
    return this.#set('enabled', enabled);
  }
  setMigrationRepositoryName(name: string): this {
    return this.#set('migrationRepositoryName', name);
  }
  setLockRepositoryName(name: string): this {
    return this.#set('lockRepositoryName', name);
  }
  withMetadata(metadata: Readonly<Record<string, unknown>>): this {
    return this.#set('metadata', { ...metadata });
  }
  setThrowExceptionIfCannotObtainLock(value: boolean): this {
    return this.#set('throwExceptionIfCannotObtainLock', value);
  }
  /** Mongock's `dontFailIfCannotAcquireLock()`. */
  dontFailIfCannotAcquireLock(): this {
    return this.#set('throwExceptionIfCannotObtainLock', false);
  }
  setStartSystemVersion(version: string): this {
    return this.#set('startSystemVersion', version);
  }
  setEndSystemVersion(version: string): this {
    return this.#set('endSystemVersion', version);
  }
  setActiveProfiles(profiles: readonly string[]): this {
    return this.#set('activeProfiles', [...profiles]);
  }
  setTrackIgnored(value: boolean): this {
    return this.#set('trackIgnored', value);
  }
  setServiceIdentifier(id: string): this {
    return this.#set('serviceIdentifier', id);
  }
  setTransactional(value: boolean): this {
    return this.#set('transactional', value);
  }
  setTransactionStrategy(strategy: TransactionStrategy): this {
    return this.#set('transactionStrategy', strategy);
  }
  setDefaultAuthor(author: string): this {
    return this.#set('defaultAuthor', author);
  }
  /** Imports another tool's history once (mongobee, migrate-mongo; knex, Kysely, node-pg-migrate, umzug with `from`); see docs/sql-units.md. */
  setLegacyMigration(legacy: LegacyMigrationOptions): this {
    return this.#set('legacyMigration', { ...legacy });
  }
  setExecutionId(id: string): this {
    return this.#set('executionId', id);
  }
  setLogger(logger: Logger): this {
    return this.#set('logger', logger);
  }
  /** The time the runner lives by (see {@link MongockConfig.clock}); tests pass a manual one. */
  setClock(clock: Clock): this {
    return this.#set('clock', clock);
  }
  /** How change unit classes are instantiated (default `new Class()`); NestJS uses its injector. */
  setChangeUnitFactory(factory: ChangeUnitFactory): this {
    return this.#set('changeUnitFactory', factory);
  }
  setOnChecksumMismatch(policy: ChecksumMismatchPolicy): this {
    return this.#set('onChecksumMismatch', policy);
  }
  /** What to do with a change a crashed run left half-done outside a transaction (default `rollback`). */
  setOnInterruptedChange(policy: InterruptedChangePolicy): this {
    return this.#set('onInterruptedChange', policy);
  }

  /** Fails a change step still running after `ms` (`CHANGE_TIMEOUT`, rolled back); 0: no limit (default). */
  setExecutionTimeoutMs(ms: number): this {
    return this.#set('executionTimeoutMs', ms);
  }

  /** Time budget of one run for batched units (see docs/batched-changes.md); 0: no limit (default). */
  setMaxRunMs(ms: number): this {
    return this.#set('maxRunMs', ms);
  }

  /** Makes a run that stops with batched work unfinished reject with `BATCHES_UNFINISHED`. */
  setFailOnUnfinishedBatches(value = true): this {
    return this.#set('failOnUnfinishedBatches', value);
  }

  setOnFileWithoutUnits(policy: FileWithoutUnitsPolicy): this {
    return this.#set('onFileWithoutUnits', policy);
  }

  setMigrationStartedListener(listener: Listener<'migration-started'>): this {
    this.#listeners.push((runner) => runner.on('migration-started', listener));
    return this;
  }
  setMigrationSuccessListener(listener: Listener<'migration-succeeded'>): this {
    this.#listeners.push((runner) => runner.on('migration-succeeded', listener));
    return this;
  }
  setMigrationFailureListener(listener: Listener<'migration-failed'>): this {
    this.#listeners.push((runner) => runner.on('migration-failed', listener));
    return this;
  }

  /** The config the builder has collected, as a plain frozen object. */
  toConfig(): MongockConfig<TContext> {
    const config: Mutable<MongockConfig<object>> = { ...this.#config };
    if (this.#scanPaths.length > 0) config.migrationScanPath = [...this.#scanPaths];
    if (this.#changeUnits.length > 0) config.changeUnits = [...this.#changeUnits];
    if (Object.keys(this.#dependencies).length > 0) config.dependencies = { ...this.#dependencies };
    return Object.freeze(config) as MongockConfig<TContext>;
  }

  /** Validates everything (throws `INVALID_CONFIG` naming each bad option) and builds the runner. */
  buildRunner(): MongockRunner {
    const runner = new MongockRunner(resolveConfig(this.toConfig() as MongockConfig<object>));
    for (const attach of this.#listeners) attach(runner);
    traceRunner(runner);
    return runner;
  }

  #set<K extends keyof MongockConfig<object>>(key: K, value: MongockConfig<object>[K]): this {
    this.#config[key] = value;
    return this;
  }
}

/**
 * Builds a runner straight from a plain config object.
 *
 * @example
 * ```ts
 * import { createRunner } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const runner = createRunner({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
 * const result = await runner.execute();
 * console.log(`${result.executed} applied`);
 * ```
 */
export function createRunner<TContext extends object>(config: MongockConfig<TContext>): MongockRunner {
  return new MongockBuilder<TContext>().setConfig(config).buildRunner();
}
