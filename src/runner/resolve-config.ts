import type { ChangeUnitSource } from '../change/collect-change-units.ts';
import type { Driver } from '../drivers/driver.ts';
import { MongockError } from '../errors/mongock-error.ts';
import { type Clock, systemClock } from '../lock/clock.ts';
import { consoleLogger, type Logger } from '../log/logger.ts';
import { unknownOptionMessage } from '../runtime/did-you-mean.ts';
import { aDriver, CONFIG_CHECKS, fits, MAX_TIMER_MS, shownValue } from './config-checks.ts';
import { PEER_PRESETS, SQL_PEERS } from './legacy-peers.ts';
import {
  type ChangeUnitFactory,
  type ChecksumMismatchPolicy,
  DEFAULT_AUTHOR,
  DEFAULT_END_SYSTEM_VERSION,
  DEFAULT_LOCK_CONFIG,
  DEFAULT_LOCK_REPOSITORY_NAME,
  DEFAULT_MIGRATION_REPOSITORY_NAME,
  DEFAULT_START_SYSTEM_VERSION,
  type FileWithoutUnitsPolicy,
  type InterruptedChangePolicy,
  type LegacyMigrationConfig,
  type LegacyMigrationOptions,
  type LockConfig,
  MIN_LOCK_ACQUIRED_FOR_MS,
  MIN_LOCK_TRY_FREQUENCY_MS,
  type MongockConfig,
  type SqlPeer,
  type TransactionStrategy,
} from './mongock-config.ts';

/** A validated config with every default filled in. Frozen. */
export interface ResolvedConfig {
  readonly driver: Driver<object>;
  readonly migrationScanPaths: readonly string[];
  readonly changeUnits: readonly ChangeUnitSource[];
  readonly enabled: boolean;
  readonly migrationRepositoryName: string;
  readonly lockRepositoryName: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly throwExceptionIfCannotObtainLock: boolean;
  readonly lockConfig: LockConfig;
  readonly startSystemVersion: string;
  readonly endSystemVersion: string;
  readonly activeProfiles: readonly string[];
  readonly trackIgnored: boolean;
  readonly serviceIdentifier: string | undefined;
  /** As given; `undefined` means "when the connected database can". */
  readonly transactional: boolean | undefined;
  readonly transactionStrategy: TransactionStrategy;
  readonly defaultAuthor: string;
  readonly legacyMigration: LegacyMigrationConfig | undefined;
  readonly executionId: string | undefined;
  readonly dependencies: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly changeUnitFactory: ChangeUnitFactory | undefined;
  readonly onChecksumMismatch: ChecksumMismatchPolicy;
  readonly onInterruptedChange: InterruptedChangePolicy;
  /** 0: no limit. */
  readonly executionTimeoutMs: number;
  /** 0: no limit. */
  readonly maxRunMs: number;
  readonly failOnUnfinishedBatches: boolean;
  readonly onFileWithoutUnits: FileWithoutUnitsPolicy;
}

/** What a value of an option must be, when it is not: undefined when it is fine. */
/** Context members the runner sets itself; a dependency of that name would be shadowed. */
const RESERVED_CONTEXT_NAMES = ['log', 'metadata', 'executionId', 'changeId', 'author'];
const LOCK_KEYS: readonly (keyof LockConfig)[] = ['acquiredForMs', 'tryFrequencyMs', 'quitTryingAfterMs'];
const LEGACY_KEYS = ['origin', 'collection', 'table', 'from', 'mapping', 'changeIds', 'changesCountExpectation', 'runAlways', 'failFast'];

/**
 * Validates a config and fills in defaults. Every problem is reported at once, each naming the
 * option, in one `INVALID_CONFIG` error. Nothing touches the database.
 */
export function resolveConfig(config: MongockConfig<object>): ResolvedConfig {
  const problems: string[] = [];
  if (typeof config !== 'object' || config === null) {
    throw new MongockError('INVALID_CONFIG', 'Invalid Mongock configuration: expected an options object.');
  }
  const raw = config as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) {
    const check = CONFIG_CHECKS[key as keyof MongockConfig];
    if (check === undefined) {
      problems.push(unknownOptionMessage(key, Object.keys(CONFIG_CHECKS)));
      continue;
    }
    if (value === undefined) continue;
    const expected = check(value);
    if (expected !== undefined) problems.push(`Option '${key}' must be ${expected}; got ${shownValue(value)}.`);
  }
  if (raw.driver === undefined) problems.push("Option 'driver' is required: pass a driver, e.g. sqliteDriver({ filename }) from 'mongock/sqlite'.");

  for (const name of Object.keys(config.dependencies ?? {})) {
    if (RESERVED_CONTEXT_NAMES.includes(name)) problems.push(`Dependency name '${name}' is reserved for the change context; choose another name.`);
  }
  const lockConfig = resolveLockConfig(config.lockConfig, problems);
  const legacyMigration = resolveLegacy(config.legacyMigration, problems);
  const driver = config.driver;
  const driverHasTransactions = fits(aDriver, driver) && driver.capabilities.transactions;
  if (config.transactional === true && fits(aDriver, driver) && !driverHasTransactions) {
    problems.push(`Option 'transactional' is true, but the ${driver.name} driver cannot run transactions here. Remove the option (or set it to false).`);
  }
  if (legacyMigration !== undefined && fits(aDriver, driver) && !driver.capabilities.legacyImport) {
    problems.push(`Option 'legacyMigration' is not supported by the ${driver.name} driver.`);
  }
  const scanPaths =
    typeof config.migrationScanPath === 'string' ? [config.migrationScanPath] : Array.isArray(config.migrationScanPath) ? [...config.migrationScanPath] : [];
  if (scanPaths.length === 0 && (Array.isArray(config.changeUnits) ? config.changeUnits : []).length === 0 && problems.length === 0) {
    problems.push("No change units: set 'migrationScanPath' (a folder of change unit modules) or 'changeUnits'.");
  }
  if (problems.length > 0) {
    throw new MongockError('INVALID_CONFIG', `Invalid Mongock configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  }
  return Object.freeze({
    driver,
    migrationScanPaths: Object.freeze(scanPaths),
    changeUnits: Object.freeze([...(config.changeUnits ?? [])]),
    enabled: config.enabled ?? true,
    migrationRepositoryName: config.migrationRepositoryName ?? DEFAULT_MIGRATION_REPOSITORY_NAME,
    lockRepositoryName: config.lockRepositoryName ?? DEFAULT_LOCK_REPOSITORY_NAME,
    metadata: Object.freeze({ ...(config.metadata ?? {}) }),
    throwExceptionIfCannotObtainLock: config.throwExceptionIfCannotObtainLock ?? true,
    lockConfig,
    startSystemVersion: config.startSystemVersion ?? DEFAULT_START_SYSTEM_VERSION,
    endSystemVersion: config.endSystemVersion ?? DEFAULT_END_SYSTEM_VERSION,
    activeProfiles: Object.freeze([...(config.activeProfiles ?? [])]),
    trackIgnored: config.trackIgnored ?? false,
    serviceIdentifier: config.serviceIdentifier,
    transactional: config.transactional,
    transactionStrategy: config.transactionStrategy ?? 'changeUnit',
    defaultAuthor: config.defaultAuthor ?? DEFAULT_AUTHOR,
    legacyMigration,
    executionId: config.executionId,
    dependencies: Object.freeze({ ...(config.dependencies ?? {}) }),
    logger: config.logger ?? consoleLogger(),
    clock: config.clock ?? systemClock,
    changeUnitFactory: config.changeUnitFactory,
    onChecksumMismatch: config.onChecksumMismatch ?? 'warn',
    onInterruptedChange: config.onInterruptedChange ?? 'rollback',
    executionTimeoutMs: config.executionTimeoutMs ?? 0,
    maxRunMs: config.maxRunMs ?? 0,
    failOnUnfinishedBatches: config.failOnUnfinishedBatches ?? false,
    onFileWithoutUnits: config.onFileWithoutUnits ?? 'warn',
  });
}

function resolveLockConfig(given: Partial<LockConfig> | undefined, problems: string[]): LockConfig {
  if (given === undefined || typeof given !== 'object' || given === null) return DEFAULT_LOCK_CONFIG;
  for (const key of Object.keys(given)) {
    if (!LOCK_KEYS.includes(key as keyof LockConfig)) problems.push(unknownOptionMessage(`lockConfig.${key}`, LOCK_KEYS, 'lockConfig.'));
  }
  const merged = { ...DEFAULT_LOCK_CONFIG, ...given };
  const minimum: Readonly<Record<keyof LockConfig, number>> = {
    acquiredForMs: MIN_LOCK_ACQUIRED_FOR_MS,
    tryFrequencyMs: MIN_LOCK_TRY_FREQUENCY_MS,
    quitTryingAfterMs: 0,
  };
  for (const key of LOCK_KEYS) {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum[key] || value > MAX_TIMER_MS) {
      problems.push(
        `Option 'lockConfig.${key}' must be a whole number of milliseconds from ${minimum[key]} to ${MAX_TIMER_MS} (Node's timer limit, about 24.8 days); got ${shownValue(value)}.`,
      );
    }
  }
  return Object.freeze(merged);
}

function resolveLegacy(given: LegacyMigrationOptions | undefined, problems: string[]): LegacyMigrationConfig | undefined {
  if (given === undefined || typeof given !== 'object' || given === null) return undefined;
  const raw = given as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!LEGACY_KEYS.includes(key)) problems.push(unknownOptionMessage(`legacyMigration.${key}`, LEGACY_KEYS, 'legacyMigration.'));
  }
  const from = raw.from;
  if (from !== undefined && !SQL_PEERS.includes(from as SqlPeer))
    problems.push(`Option 'legacyMigration.from' must be one of ${SQL_PEERS.map((peer) => `'${peer}'`).join(', ')}; got ${shownValue(from)}.`);
  const origin = raw.origin ?? raw.collection ?? raw.table ?? (SQL_PEERS.includes(from as SqlPeer) ? PEER_PRESETS[from as SqlPeer].table : undefined);
  if (typeof origin !== 'string' || origin === '')
    problems.push(
      "Option 'legacyMigration.origin' (or 'collection', 'table', or 'from' with a peer's default table) must name the collection/table to import.",
    );
  const changeIds = raw.changeIds;
  if (
    changeIds !== undefined &&
    typeof changeIds !== 'function' &&
    !(typeof changeIds === 'object' && changeIds !== null && Object.values(changeIds).every((id) => typeof id === 'string' && id !== ''))
  )
    problems.push("Option 'legacyMigration.changeIds' must be a function (name) => id, or an object of names to ids such as { '001_init.js': '001_init' }.");
  for (const key of ['runAlways', 'failFast'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean')
      problems.push(`Option 'legacyMigration.${key}' must be true or false; got ${shownValue(raw[key])}.`);
  }
  const expected = raw.changesCountExpectation;
  if (expected !== undefined && !(typeof expected === 'number' && Number.isInteger(expected) && expected >= 0)) {
    problems.push(`Option 'legacyMigration.changesCountExpectation' must be a whole number; got ${shownValue(expected)}.`);
  }
  const mapping = raw.mapping;
  if (mapping !== undefined) {
    const fields = ['changeId', 'author', 'timestamp', 'changeLogClass', 'changeSetMethod', 'metadata'];
    if (typeof mapping !== 'object' || mapping === null)
      problems.push("Option 'legacyMigration.mapping' must be an object of field names, e.g. { changeId: 'fileName' }.");
    else {
      for (const [key, value] of Object.entries(mapping)) {
        if (!fields.includes(key)) problems.push(unknownOptionMessage(`legacyMigration.mapping.${key}`, fields, 'legacyMigration.mapping.'));
        else if (typeof value !== 'string' || value === '')
          problems.push(`Option 'legacyMigration.mapping.${key}' must name a field; got ${shownValue(value)}.`);
      }
    }
  }
  const { collection: _alias, table: _table, ...rest } = raw;
  return Object.freeze({ ...rest, origin: String(origin) }) as LegacyMigrationConfig;
}
