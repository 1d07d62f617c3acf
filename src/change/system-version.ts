/**
 * System versions compare like Mongock's (Maven's ComparableVersion, reduced to what
 * migrations use): dot-separated numbers compared numerically ("2.10" > "2.9"), missing trailing
 * parts count as 0 ("1" = "1.0"), and an optional `-qualifier` sorts before the release
 * ("2.0-rc1" < "2.0"), qualifiers ordered alpha < beta < milestone < rc < snapshot, others by text.
 */
const VERSION = /^\d+(\.\d+)*(-[0-9A-Za-z][0-9A-Za-z.-]*)?$/;

/** The default window: every unit (Mongock's "0" .. Integer.MAX_VALUE). */
export const DEFAULT_START_SYSTEM_VERSION = '0';
export const DEFAULT_END_SYSTEM_VERSION = '2147483647';

const QUALIFIER_RANK: Readonly<Record<string, number>> = { alpha: 0, a: 0, beta: 1, b: 1, milestone: 2, m: 2, rc: 3, cr: 3, snapshot: 4 };

export function isValidSystemVersion(version: unknown): version is string {
  return typeof version === 'string' && (parsed.has(version) || VERSION.test(version));
}

/** Negative when a < b, 0 when equal, positive when a > b. Both must be valid. */
export function compareSystemVersions(a: string, b: string): number {
  const [aNumbers, aQualifier] = split(a);
  const [bNumbers, bQualifier] = split(b);
  const length = Math.max(aNumbers.length, bNumbers.length);
  for (let i = 0; i < length; i++) {
    const difference = (aNumbers[i] ?? 0n) - (bNumbers[i] ?? 0n);
    if (difference !== 0n) return difference < 0n ? -1 : 1;
  }
  return compareQualifiers(aQualifier, bQualifier);
}

// Every unit of a project usually carries one of a handful of versions: parse each once.
const parsed = new Map<string, [bigint[], string | undefined]>();

function split(version: string): [bigint[], string | undefined] {
  const known = parsed.get(version);
  if (known !== undefined) return known;
  const dash = version.indexOf('-');
  const numbers = (dash === -1 ? version : version.slice(0, dash)).split('.').map((part) => BigInt(part));
  const result: [bigint[], string | undefined] = [numbers, dash === -1 ? undefined : version.slice(dash + 1).toLowerCase()];
  parsed.set(version, result);
  return result;
}

function compareQualifiers(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1; // a release sorts after its pre-releases
  if (b === undefined) return -1;
  const rank = (q: string) => QUALIFIER_RANK[q.replace(/[\d.-]+$/, '')] ?? 5;
  const difference = rank(a) - rank(b);
  if (difference !== 0) return difference;
  return a.localeCompare(b, 'en', { numeric: true });
}

/** True when `version` lies in the inclusive window [start, end]. */
export function isWithinSystemVersions(version: string, start: string, end: string): boolean {
  return compareSystemVersions(start, version) <= 0 && compareSystemVersions(version, end) <= 0;
}
