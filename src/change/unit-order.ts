/**
 * The run order of Java Mongock 5.5.1, decided exactly as its comparators do.
 * `ChangeLogComparator` orders units (a `@ChangeUnit`, or a legacy `@ChangeLog` with all its
 * change sets): two orders that both have text and differ compare as Java strings; a unit with
 * an order runs before one without; otherwise (equal orders, or neither has one) the class names
 * decide. `ChangeSetComparator` then orders a ChangeLog's change sets by their raw order strings.
 * "Has text" is Mongock's `StringUtils.hasText`: not empty after Java's `String#trim`, which
 * strips only code units up to U+0020 (JavaScript's `trim` strips more). Strings compare by
 * UTF-16 code units, as Java's `String#compareTo` does and as JavaScript's `<` does.
 */

/** What the unit comparator reads of a unit. */
export interface OrderedUnit {
  readonly order: string;
  readonly className: string;
}

const TRIMMED = 0x20;

/** Java's `String#trim`: removes code units <= U+0020 from both ends. */
export function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= TRIMMED) start++;
  while (end > start && text.charCodeAt(end - 1) <= TRIMMED) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Mongock's `StringUtils.hasText`. */
export function hasText(text: string): boolean {
  return javaTrim(text) !== '';
}

/** Java's `String#compareTo`, reduced to its sign. */
export function compareJavaStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `ChangeLogComparator#compare` for two user units (system units are ordered apart). */
export function compareUnitOrders(a: OrderedUnit, b: OrderedUnit): number {
  const aHasOrder = hasText(a.order);
  const bHasOrder = hasText(b.order);
  if (aHasOrder && bHasOrder && a.order !== b.order) return compareJavaStrings(a.order, b.order);
  if (aHasOrder && !bHasOrder) return -1;
  if (bHasOrder && !aHasOrder) return 1;
  return compareJavaStrings(a.className, b.className);
}

/** `ChangeSetComparator#compare`: raw orders, no trimming ("" sorts first). */
export function compareChangeSetOrders(a: string, b: string): number {
  return compareJavaStrings(a, b);
}
