import { compareMavenVersions, type MavenVersion, parseMavenVersion } from './maven-version.ts';

/**
 * System versions compare as in Java Mongock 5.5.1: Maven's version ordering (maven-artifact
 * 3.6.1, see `maven-version.ts`), so "2.10" > "2.9", "1" = "1.0" = "1-ga", "2.0-rc1" < "2.0" <
 * "2.0-sp1". Maven accepts every string, and so does this: only a non-string is invalid.
 */

/** The default window: every unit (Mongock's "0" .. Integer.MAX_VALUE, both inclusive). */
export const DEFAULT_START_SYSTEM_VERSION = '0';
export const DEFAULT_END_SYSTEM_VERSION = '2147483647';

/** Maven parses any string; validity never depends on what was compared before. */
export function isValidSystemVersion(version: unknown): version is string {
  return typeof version === 'string';
}

/**
 * Negative when a < b, 0 when equal, positive when a > b (`DefaultArtifactVersion#compareTo`).
 *
 * @example
 * ```ts
 * import { compareSystemVersions } from 'mongock';
 *
 * console.log(compareSystemVersions('1.10', '1.9') > 0); // true: Maven orders numerically
 * console.log(compareSystemVersions('2.0', '2.0.0')); // 0
 * ```
 */
export function compareSystemVersions(a: string, b: string): number {
  return compareMavenVersions(parseMavenVersion(a), parseMavenVersion(b));
}

/** Mongock's `isWithinVersion`: `start <= version <= end`, compared from the unit's version. */
export function isWithinSystemVersions(version: string, start: string, end: string): boolean {
  const parsed: MavenVersion = parseMavenVersion(version);
  return compareMavenVersions(parsed, parseMavenVersion(start)) >= 0 && compareMavenVersions(parsed, parseMavenVersion(end)) <= 0;
}
