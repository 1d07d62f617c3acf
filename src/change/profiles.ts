/** The profile active when none is set, as in Spring and Mongock. */
export const DEFAULT_PROFILE = 'default';

/**
 * Mongock's (Spring's) rule: no `@Profile` matches always; otherwise the values are read in
 * order and the first decisive one wins — `!p` with `p` active excludes, `p` active includes;
 * if none decided, the unit is excluded when any positive value was given, included otherwise.
 */
export function matchesProfiles(profiles: readonly string[], active: ReadonlySet<string>): boolean {
  if (profiles.length === 0) return true;
  let sawPositive = false;
  for (const raw of profiles) {
    const value = raw.trim();
    if (value === '') continue;
    if (value.startsWith('!')) {
      if (active.has(value.slice(1).trim())) return false;
    } else {
      sawPositive = true;
      if (active.has(value)) return true;
    }
  }
  return !sawPositive;
}

/** The active set: the given profiles, or `default` when none. */
export function activeProfileSet(profiles: readonly string[]): ReadonlySet<string> {
  return new Set(profiles.length === 0 ? [DEFAULT_PROFILE] : profiles);
}
