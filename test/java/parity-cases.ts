/**
 * Inputs for the Java parity tests: hand-picked adversarial versions and orders, and seeded
 * random ones (MONGOCK_PARITY_SEED changes the seed; a failure prints it).
 */

export const PARITY_SEED = Number(process.env.MONGOCK_PARITY_SEED ?? 20261201);

/** mulberry32: small, seeded, good enough to spread test inputs. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
const pick = <T>(next: Random, values: readonly T[]): T => values[Math.floor(next() * values.length)]!;

/** Maven's own ComparableVersionTest lists (3.6.1), the examples, and edges of the port. */
export const ADVERSARIAL_VERSIONS: readonly string[] = [
  // maven-artifact 3.6.1 ComparableVersionTest: VERSIONS_QUALIFIER, VERSIONS_NUMBER
  ...['1-alpha2snapshot', '1-alpha2', '1-alpha-123', '1-beta-2', '1-beta123', '1-m2', '1-m11', '1-rc', '1-cr2', '1-rc123'],
  ...['1-SNAPSHOT', '1', '1-sp', '1-sp2', '1-sp123', '1-abc', '1-def', '1-pom-1', '1-1-snapshot', '1-1', '1-2', '1-123'],
  ...['2.0', '2-1', '2.0.a', '2.0.0.a', '2.0.2', '2.0.123', '2.1.0', '2.1-a', '2.1b', '2.1-c', '2.1-1', '2.1.0.1', '2.2'],
  ...['2.123', '11.a2', '11.a11', '11.b2', '11.b11', '11.m2', '11.m11', '11', '11.a', '11b', '11c', '11m'],
  // the cases
  ...['1-ga', '1-final', '1-release', '1-foo', '1a1', '1-alpha-1', '1m1', '1-milestone-1', '1cr1', '1rc1', '1-0', '1.0'],
  ...['', '0', '1.0a', '1alpha', '1.0.alpha', '1.0.RELEASE', '2.0.0.Final', 'v1.0', '2.9', '2.10', '1.0-SNAPSHOT', '2.0-rc1'],
  // defaults and numbers around int / long / big integer boundaries
  ...['2147483647', '2147483648', '999999999', '1000000000', '0999999999', '000000000000000000001', '123456789012345678'],
  ...['1234567890123456789', '99999999999999999999999', '1.2147483648', '1.999999999999999999', '1.9223372036854775808'],
  // separators and empty segments
  ...['-', '.', '..', '--', '1..1', '1.-1', '1-.1', '-1', '.1', '1.', '1-', '1-0-0-1', '1-0.1', '1-1.0', '1.1-1', '1.0-0.0'],
  ...['0.0', '00', '0-0', '0.a', '1.0.0.0.0', '1.0.0-0', '1-0-ga', '1.ga', '1-ga-1', '1.final.1', '1-sp-1', '1.sp', '1sp'],
  // letters next to digits, single letters (aliases only before a digit), case
  ...['a', 'b', 'm', 'c', 'a1', 'b1', 'm1', 'c1', 'A1', 'M1', '1-A1', '1-B', '1B1', 'ALPHA', 'Final', 'SP1', 'Ga', 'CR'],
  ...['1-alpha', '1-beta', '1-milestone', '1-snapshot', '1-x', '1-xx', '1-z', '1-aa1', '1-ab1', '1.alpha1', '1alpha.1'],
  // characters beyond ASCII: other decimal digits, case mappings, surrogates, whitespace
  ...['١', '1.٢', '١٠', '٠٠٠٠٠٠٠٠٠٠1', '1.０', '१२', '1.१', 'İ1', '1-Σ', '1-ΑΣ', '1-ς', 'K1', 'ß', '1-ǅ', '1-😀', '1-\ud800'],
  ...['1 ', ' 1', '1\t2', '1_2', '1+2', '1.0-İ', '1-\u00a0', '1\u00001', 'Ⅻ', '1-ﬀ', '1-ẞ', '𝟏', '1-𝟏', '1.𝟎'],
];

const QUALIFIER_WORDS = ['alpha', 'beta', 'milestone', 'rc', 'cr', 'snapshot', 'ga', 'final', 'sp', 'release', 'foo', 'a', 'b', 'm', 'c', 'x', ''];
const UNICODE_DIGITS = ['٠', '٣', '٩', '۵', '०', '৭', '０', '９', '๓', '፩', '᠑', '𝟎', '𝟗'];
// No Greek sigma: Java decides Σ's final form with its word BreakIterator, the port does not.
const UNICODE_LETTERS = ['İ', 'ı', 'ß', 'K', 'Å', 'ǅ', 'Ω', 'ﬀ', 'é', 'E\u0301', '😀', '\ud83d', '\ude00', ' ', '_', '+', '~'];

const SIGMA = /[\u03a3\u03c2\u03c3]/g;

function digits(next: Random): string {
  const length = next() < 0.8 ? 1 + Math.floor(next() * 3) : 1 + Math.floor(next() * 24);
  let text = next() < 0.15 ? '0'.repeat(1 + Math.floor(next() * 12)) : '';
  for (let i = 0; i < length; i++) text += next() < 0.05 ? pick(next, UNICODE_DIGITS) : String(Math.floor(next() * 10));
  return text;
}

function word(next: Random): string {
  const base = next() < 0.85 ? pick(next, QUALIFIER_WORDS) : pick(next, UNICODE_LETTERS);
  return next() < 0.2 ? base.toUpperCase() : base;
}

/** A random version-like string: mostly plausible, sometimes any code units at all. */
export function randomVersion(next: Random): string {
  if (next() < 0.05)
    return Array.from({ length: Math.floor(next() * 6) }, () => String.fromCharCode(Math.floor(next() * 0x10000)))
      .join('')
      .replace(SIGMA, '');
  const parts = 1 + Math.floor(next() * 6);
  let text = '';
  for (let i = 0; i < parts; i++) {
    if (i > 0 || next() < 0.05) text += pick(next, ['.', '.', '.', '-', '-', '', '..', '-.', '.-']);
    text += next() < 0.6 ? digits(next) : word(next);
  }
  return next() < 0.05 ? `${text}${pick(next, ['.', '-', '.0', '-0', '-ga', '-final', '.0.0'])}` : text;
}

/** A version close to `version`: the same with a tweak, so that many pairs are near-equal. */
export function nearVersion(next: Random, version: string): string {
  switch (Math.floor(next() * 6)) {
    case 0:
      return `${version}${pick(next, ['.0', '-0', '-ga', '.final', '-1', '.1', '-sp', '-snapshot', 'a', '0'])}`;
    case 1:
      return version.replace(SIGMA, '').toUpperCase();
    case 2:
      return version.replace(/\d+/, (n) => `0${n}`);
    case 3:
      return version.replace(/[.-]/, (s) => (s === '.' ? '-' : '.'));
    case 4:
      return version.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    default:
      return version.slice(0, Math.max(0, version.length - 1));
  }
}

/** Orders around Java's trim (≤ U+0020), JavaScript's wider trim, surrogates and empty ones. */
export const ADVERSARIAL_ORDERS: readonly string[] = [
  ...['', ' ', '  ', '\t', '\n', '\r\n', '\u0000', '\u0001', '\u0008', '\u001f', '\u0020', '\u0021', '\u007f'],
  ...['\u0085', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'],
  ...['001', '002', '01', '1', '10', '2', '0', ' 001', '001 ', '\t001', '\u00a0001', '001\u00a0', '\u0000001', '001\u0000'],
  ...['a', 'A', 'b', 'z', 'Z', 'é', 'É', '\uffff', '\ud800', '\udfff', '\ud83d\ude00', '\ud83d\ude01', '\uff61', '😀1', 'x y'],
  ...[' \u00a0 ', '\u3000001', '\ufeff001', '001\u2028', '0\u00200', '00\u001f', '\u001f00'],
];

const ORDER_PIECES = [
  '0',
  '1',
  '2',
  '9',
  '00',
  '001',
  '010',
  'a',
  'B',
  ' ',
  '\t',
  '\u0000',
  '\u001f',
  '\u00a0',
  '\u2003',
  '\u3000',
  '\ufeff',
  'é',
  '\ud83d\ude00',
  '\ud800',
  '\uffff',
];

export function randomOrder(next: Random): string {
  if (next() < 0.1) return pick(next, ADVERSARIAL_ORDERS);
  let text = '';
  for (let i = Math.floor(next() * 4); i >= 0; i--) text += pick(next, ORDER_PIECES);
  return text;
}
