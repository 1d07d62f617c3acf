/**
 * A port of Maven's `ComparableVersion` exactly as maven-artifact 3.6.1 has it: the ordering Java
 * Mongock 5.5.1 uses for system versions (`DefaultArtifactVersion#compareTo` delegates to it).
 * Every string is a version. It is split into items on `.`, on `-` (which opens a nested list)
 * and on each digit/non-digit transition (which opens a nested list too); trailing null items
 * (0, "", empty lists) are removed; then items compare by kind and value. Java's quirks are kept
 * on purpose, down to `Character.isDigit` on UTF-16 code units (non-ASCII decimal digits count,
 * and `Integer.parseInt` reads them) and numbers sized by their text length (int ≤ 9 characters,
 * long ≤ 18, big integer beyond; a longer kind always compares greater). `test/java` compares
 * this port with the real library on thousands of pairs and every UTF-16 code unit.
 * One known difference: Java picks the final form of a capital sigma (Σ → ς or σ) with its own
 * word BreakIterator; this uses Unicode's Final_Sigma rule. Only versions that differ by a Greek
 * sigma alone can compare differently.
 */

type NumberKind = 'int' | 'long' | 'bigint';
type Item = { readonly kind: NumberKind; readonly value: bigint } | { readonly kind: 'string'; readonly value: string } | ListItem;
interface ListItem {
  readonly kind: 'list';
  readonly items: Item[];
}

/** The parsed form of one version string. */
export interface MavenVersion {
  readonly items: ListItem;
}

const MAX_INT_ITEM_LENGTH = 9;
const MAX_LONG_ITEM_LENGTH = 18;
const QUALIFIERS: readonly string[] = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_VERSION_INDEX = String(QUALIFIERS.indexOf(''));
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['ga', ''],
  ['final', ''],
  ['cr', 'rc'],
]);
const SINGLE_LETTER: ReadonlyMap<string, string> = new Map([
  ['a', 'alpha'],
  ['b', 'beta'],
  ['m', 'milestone'],
]);
const ZERO: Item = { kind: 'int', value: 0n };
const DOT = 0x2e;
const HYPHEN = 0x2d;
const ASCII_ZERO = 0x30;
const ASCII_NINE = 0x39;

/** Parses like `new ComparableVersion(version)`; never throws. */
export function parseMavenVersion(version: string): MavenVersion {
  const items: ListItem = { kind: 'list', items: [] };
  const text = javaLowerCase(version);
  let list = items;
  const stack: ListItem[] = [list];
  const open = (): void => {
    const next: ListItem = { kind: 'list', items: [] };
    list.items.push(next);
    list = next;
    stack.push(next);
  };
  let isDigit = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT || c === HYPHEN) {
      list.items.push(i === start ? ZERO : parseItem(isDigit, text.slice(start, i)));
      start = i + 1;
      if (c === HYPHEN) open();
    } else if (digitValue(c) >= 0) {
      if (!isDigit && i > start) {
        list.items.push(stringItem(text.slice(start, i), true));
        start = i;
        open();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(true, text.slice(start, i)));
        start = i;
        open();
      }
      isDigit = false;
    }
  }
  if (text.length > start) list.items.push(parseItem(isDigit, text.slice(start)));
  for (let popped = stack.pop(); popped !== undefined; popped = stack.pop()) normalize(popped);
  return { items };
}

/** `a.compareTo(b)` of Maven's `ComparableVersion`, reduced to its sign: -1, 0 or 1. */
export function compareMavenVersions(a: MavenVersion, b: MavenVersion): number {
  return Math.sign(compareItems(a.items, b.items));
}

/** `getCanonical()`: the normalised text Maven derives (used by the parity tests). */
export function canonicalMavenVersion(version: MavenVersion): string {
  return itemText(version.items);
}

function parseItem(isDigit: boolean, text: string): Item {
  if (!isDigit) return stringItem(text, false);
  let first = 0;
  while (first < text.length && text.charCodeAt(first) === ASCII_ZERO) first++; // stripStart(buf, "0"): ASCII only
  const digits = first === text.length ? '0' : text.slice(first);
  const kind: NumberKind = digits.length <= MAX_INT_ITEM_LENGTH ? 'int' : digits.length <= MAX_LONG_ITEM_LENGTH ? 'long' : 'bigint';
  return { kind, value: digitsValue(digits) };
}

function stringItem(text: string, followedByDigit: boolean): Item {
  const expanded = followedByDigit && text.length === 1 ? (SINGLE_LETTER.get(text) ?? text) : text;
  return { kind: 'string', value: ALIASES.get(expanded) ?? expanded };
}

function normalize(list: ListItem): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const last = list.items[i]!;
    if (isNull(last)) list.items.splice(i, 1);
    else if (last.kind !== 'list') break; // a non-null list does not stop the walk (3.6.1)
  }
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'int':
    case 'long':
    case 'bigint':
      return item.value === 0n;
    case 'string':
      return comparableQualifier(item.value) === RELEASE_VERSION_INDEX;
    case 'list':
      return item.items.length === 0;
  }
}

/** Known qualifiers by rank, then unknown ones after them in lexical (UTF-16) order. */
function comparableQualifier(qualifier: string): string {
  const index = QUALIFIERS.indexOf(qualifier);
  return index === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(index);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0; // Java's String#compareTo: UTF-16 code units
}

const NUMBER_RANK: Readonly<Record<NumberKind, number>> = { int: 0, long: 1, bigint: 2 };

/** `item.compareTo(other)`; `other` undefined stands for Java's null (a missing item). */
function compareItems(item: Item, other: Item | undefined): number {
  switch (item.kind) {
    case 'int':
    case 'long':
    case 'bigint':
      if (other === undefined) return item.value === 0n ? 0 : 1; // 1.0 == 1, 1.1 > 1
      if (other.kind === 'string' || other.kind === 'list') return 1; // 1.1 > 1-sp, 1.1 > 1-1
      if (other.kind !== item.kind) return NUMBER_RANK[item.kind] < NUMBER_RANK[other.kind] ? -1 : 1;
      return item.value < other.value ? -1 : item.value > other.value ? 1 : 0;
    case 'string':
      if (other === undefined) return compareStrings(comparableQualifier(item.value), RELEASE_VERSION_INDEX); // 1-rc < 1, 1-sp > 1
      if (other.kind === 'string') return compareStrings(comparableQualifier(item.value), comparableQualifier(other.value));
      return -1; // 1.any < 1.1, 1.any < 1-1
    case 'list':
      return compareList(item, other);
  }
}

function compareList(list: ListItem, other: Item | undefined): number {
  if (other === undefined) return list.items.length === 0 ? 0 : compareItems(list.items[0]!, undefined);
  if (other.kind === 'string') return 1; // 1-1 > 1-sp
  if (other.kind !== 'list') return -1; // 1-1 < 1.0.x
  const length = Math.max(list.items.length, other.items.length);
  for (let i = 0; i < length; i++) {
    const left = list.items[i];
    const right = other.items[i];
    const result = left === undefined ? (right === undefined ? 0 : -compareItems(right, undefined)) : compareItems(left, right);
    if (result !== 0) return result;
  }
  return 0;
}

function itemText(item: Item): string {
  switch (item.kind) {
    case 'int':
    case 'long':
    case 'bigint':
      return item.value.toString();
    case 'string':
      return item.value;
    case 'list':
      // Java appends a separator only once the buffer is non-empty (not for each later item).
      return item.items.reduce((text, child) => (text === '' ? '' : `${text}${child.kind === 'list' ? '-' : '.'}`) + itemText(child), '');
  }
}

function digitsValue(digits: string): bigint {
  let ascii = true;
  for (let i = 0; i < digits.length && ascii; i++) ascii = digits.charCodeAt(i) <= ASCII_NINE;
  if (ascii) return BigInt(digits);
  let value = 0n;
  for (let i = 0; i < digits.length; i++) value = value * 10n + BigInt(digitValue(digits.charCodeAt(i)));
  return value;
}

/**
 * Code points that JavaScript lower-cases but Java 17 (Unicode 13.0) leaves as they are: their
 * case mappings came with Unicode 14 and later. Listed by the parity test when they change.
 */
const NEWER_THAN_JAVA =
  /([\u1c89\u2c2f\ua7c0\ua7cb\ua7cc\ua7ce\ua7d0\ua7d2\ua7d4\ua7d6\ua7d8\ua7da\ua7dc\u{10570}-\u{1057a}\u{1057c}-\u{1058a}\u{1058c}-\u{10592}\u{10594}\u{10595}\u{10d50}-\u{10d65}\u{16ea0}-\u{16eb8}])/u;

/** Java's `String#toLowerCase(Locale.ENGLISH)` (the locale-neutral mapping, by code point). */
function javaLowerCase(text: string): string {
  if (isAscii(text) || !NEWER_THAN_JAVA.test(text)) return text.toLowerCase();
  // split() with a capturing group keeps the separators at odd indexes: leave those unchanged.
  return text
    .split(NEWER_THAN_JAVA)
    .map((part, i) => (i % 2 === 1 ? part : part.toLowerCase()))
    .join('');
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

let digitTable: Int8Array | undefined;

/**
 * Java's `Character.digit(c, 10)` for a UTF-16 code unit where `Character.isDigit(c)`: the
 * value of a decimal digit (Unicode category Nd, BMP only), else -1. Surrogates are never digits.
 */
function digitValue(c: number): number {
  if (c < 0x80) return c >= ASCII_ZERO && c <= ASCII_NINE ? c - ASCII_ZERO : -1;
  digitTable ??= buildDigitTable();
  return digitTable[c]!;
}

function buildDigitTable(): Int8Array {
  // Unicode encodes every decimal digit set as a contiguous, ascending run that starts at 0.
  const table = new Int8Array(0x10000).fill(-1);
  const decimal = /\p{Nd}/u;
  for (let c = 0x80; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (decimal.test(String.fromCharCode(c))) table[c] = table[c - 1]! >= 0 ? (table[c - 1]! + 1) % 10 : 0;
  }
  for (let c = ASCII_ZERO; c <= ASCII_NINE; c++) table[c] = c - ASCII_ZERO;
  return table;
}
