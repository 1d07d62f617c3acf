import type { ChangeUnitSource } from '../change/collect-change-units.ts';
import { isValidSystemVersion } from '../change/system-version.ts';
import type { Driver } from '../drivers/driver.ts';
import { MongockError } from '../errors/mongock-error.ts';
import { consoleLogger, type Logger } from '../log/logger.ts';
import { unknownOptionMessage } from '../runtime/did-you-mean.ts';
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
  readonly changeUnitFactory: ChangeUnitFactory | undefined;
  readonly onChecksumMismatch: ChecksumMismatchPolicy;
  readonly onInterruptedChange: InterruptedChangePolicy;
  /** 0: no limit. */
  readonly executionTimeoutMs: number;
  readonly onFileWithoutUnits: FileWithoutUnitsPolicy;
}

/** What a value of an option must be, when it is not: undefined when it is fine. */
type Check = (value: unknown) => string | undefined;

const nonEmptyString: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'a non-empty string');
const aBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const anObject: Check = (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'an object');
const aFunction: Check = (v) => (typeof v === 'function' ? undefined : 'a function');
const stringOrStrings: Check = (v) =>
  (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== ''))
    ? undefined
    : 'a string or an array of strings';
const strings: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'an array of strings');
const anArray: Check = (v) => (Array.isArray(v) ? undefined : 'an array');
const aVersion: Check = (v) => (isValidSystemVersion(v) ? undefined : "a version string such as '2.5.1' (compared as Maven versions)");
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    values.includes(v as string) ? undefined : `one of ${values.map((x) => `'${x}'`).join(', ')}`;
const aLogger: Check = (v) =>
  typeof v === 'object' && v !== null && ['debug', 'info', 'warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
    ? undefined
    : 'an object with debug, info, warn and error methods';
const aDriver: Check = (v) =>
  typeof v === 'object' && v !== null && typeof (v as Driver).connect === 'function' && typeof (v as Driver).capabilities === 'object'
    ? undefined
    : "a driver (e.g. sqliteDriver({ filename }) from 'mongock/sqlite')";

const fits = (check: Check, value: unknown): boolean => check(value) === undefined;

const CHECKS: Readonly<Record<keyof MongockConfig, Check>> = {
  driver: aDriver,
  migrationScanPath: stringOrStrings,
  changeUnits: anArray,
  enabled: aBoolean,
  migrationRepositoryName: nonEmptyString,
  lockRepositoryName: nonEmptyString,
  metadata: anObject,
  throwExceptionIfCannotObtainLock: aBoolean,
  lockConfig: anObject,
  startSystemVersion: aVersion,
  endSystemVersion: aVersion,
  activeProfiles: strings,
  trackIgnored: aBoolean,
  serviceIdentifier: nonEmptyString,
  transactional: aBoolean,
  transactionStrategy: oneOf('changeUnit', 'execution'),
  defaultAuthor: nonEmptyString,
  legacyMigration: anObject,
  executionId: nonEmptyString,
  dependencies: anObject,
  logger: aLogger,
  changeUnitFactory: aFunction,
  onChecksumMismatch: oneOf('warn', 'fail', 'ignore'),
  onInterruptedChange: oneOf('rollback', 'fail'),
  onFileWithoutUnits: oneOf('warn', 'fail', 'ignore'),
  executionTimeoutMs: (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TIMER_MS
      ? undefined
      : `a whole number of milliseconds from 0 (no limit) to ${MAX_TIMER_MS}`,
};

/** Node's timers take at most 2^31-1 ms; a longer delay fires after 1 ms (a busy loop). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Context members the runner sets itself; a dependency of that name would be shadowed. */
const RESERVED_CONTEXT_NAMES = ['log', 'metadata', 'executionId', 'changeId', 'author'];
const LOCK_KEYS: readonly (keyof LockConfig)[] = ['acquiredForMs', 'tryFrequencyMs', 'quitTryingAfterMs'];
const LEGACY_KEYS = ['origin', 'collection', 'table', 'from', 'mapping', 'changeIds', 'changesCountExpectation', 'runAlways', 'failFast'];

/**
 * The problems of the given options' types only, for callers that must merge options before the
 * whole config is validated (the builder's `setConfig`): a list merged by spreading a number
 * would throw a raw `TypeError`, and a string spread into an object would pass unnoticed.
 */
export function optionTypeProblems(config: Readonly<Record<string, unknown>>, keys: readonly (keyof MongockConfig)[]): string[] {
  const problems: string[] = [];
  for (const key of keys) {
    const value = config[key];
    if (value === undefined) continue;
    const expected = CHECKS[key](value);
    if (expected !== undefined) problems.push(`Option '${key}' must be ${expected}; got ${show(value)}.`);
  }
  return problems;
}

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
    const check = CHECKS[key as keyof MongockConfig];
    if (check === undefined) {
      problems.push(unknownOptionMessage(key, Object.keys(CHECKS)));
      continue;
    }
    if (value === undefined) continue;
    const expected = check(value);
    if (expected !== undefined) problems.push(`Option '${key}' must be ${expected}; got ${show(value)}.`);
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
    changeUnitFactory: config.changeUnitFactory,
    onChecksumMismatch: config.onChecksumMismatch ?? 'warn',
    onInterruptedChange: config.onInterruptedChange ?? 'rollback',
    executionTimeoutMs: config.executionTimeoutMs ?? 0,
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
        `Option 'lockConfig.${key}' must be a whole number of milliseconds from ${minimum[key]} to ${MAX_TIMER_MS} (Node's timer limit, about 24.8 days); got ${show(value)}.`,
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
    problems.push(`Option 'legacyMigration.from' must be one of ${SQL_PEERS.map((peer) => `'${peer}'`).join(', ')}; got ${show(from)}.`);
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
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') problems.push(`Option 'legacyMigration.${key}' must be true or false; got ${show(raw[key])}.`);
  }
  const expected = raw.changesCountExpectation;
  if (expected !== undefined && !(typeof expected === 'number' && Number.isInteger(expected) && expected >= 0)) {
    problems.push(`Option 'legacyMigration.changesCountExpectation' must be a whole number; got ${show(expected)}.`);
  }
  const mapping = raw.mapping;
  if (mapping !== undefined) {
    const fields = ['changeId', 'author', 'timestamp', 'changeLogClass', 'changeSetMethod', 'metadata'];
    if (typeof mapping !== 'object' || mapping === null)
      problems.push("Option 'legacyMigration.mapping' must be an object of field names, e.g. { changeId: 'fileName' }.");
    else {
      for (const [key, value] of Object.entries(mapping)) {
        if (!fields.includes(key)) problems.push(unknownOptionMessage(`legacyMigration.mapping.${key}`, fields, 'legacyMigration.mapping.'));
        else if (typeof value !== 'string' || value === '') problems.push(`Option 'legacyMigration.mapping.${key}' must name a field; got ${show(value)}.`);
      }
    }
  }
  const { collection: _alias, table: _table, ...rest } = raw;
  return Object.freeze({ ...rest, origin: String(origin) }) as LegacyMigrationConfig;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
