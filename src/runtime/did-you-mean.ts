/** The closest of `candidates` to `input` (edit distance at most 2, or a prefix), for "did you mean" hints. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(input) || input.startsWith(candidate) ? 1 : editDistance(input, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(1, Math.min(2, Math.floor(input.length / 3))) ? best : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** `Unknown option 'x'.` with the closest known name, or the list of known names when none is close. */
export function unknownOptionMessage(name: string, known: readonly string[], prefix = ''): string {
  const guess = closest(name.slice(prefix.length), known);
  return `Unknown option '${name}'.${guess === undefined ? '' : ` Did you mean '${prefix}${guess}'?`} Known options: ${known.join(', ')}.`;
}
