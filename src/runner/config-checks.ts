import { isValidSystemVersion } from '../change/system-version.ts';
import type { Driver } from '../drivers/driver.ts';
import type { MongockConfig } from './mongock-config.ts';

/** What an option must be, or undefined when it is fine. */
export type Check = (value: unknown) => string | undefined;

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
const aClock: Check = (v) =>
  typeof v === 'object' && v !== null && ['now', 'sleep', 'repeat'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
    ? undefined
    : 'an object with now, sleep and repeat methods';
export const aDriver: Check = (v) =>
  typeof v === 'object' && v !== null && typeof (v as Driver).connect === 'function' && typeof (v as Driver).capabilities === 'object'
    ? undefined
    : "a driver (e.g. sqliteDriver({ filename }) from 'mongock/sqlite')";

export const fits = (check: Check, value: unknown): boolean => check(value) === undefined;

export const CONFIG_CHECKS: Readonly<Record<keyof MongockConfig, Check>> = {
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
  clock: aClock,
  changeUnitFactory: aFunction,
  onChecksumMismatch: oneOf('warn', 'fail', 'ignore'),
  onInterruptedChange: oneOf('rollback', 'fail'),
  onFileWithoutUnits: oneOf('warn', 'fail', 'ignore'),
  executionTimeoutMs: milliseconds,
  maxRunMs: milliseconds,
  failOnUnfinishedBatches: aBoolean,
};

function milliseconds(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TIMER_MS
    ? undefined
    : `a whole number of milliseconds from 0 (no limit) to ${MAX_TIMER_MS}`;
}

/** Node's timers take at most 2^31-1 ms; a longer delay fires after 1 ms (a busy loop). */
export const MAX_TIMER_MS = 2_147_483_647;

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
    const expected = CONFIG_CHECKS[key](value);
    if (expected !== undefined) problems.push(`Option '${key}' must be ${expected}; got ${shownValue(value)}.`);
  }
  return problems;
}

/** A value as an error message quotes it. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
