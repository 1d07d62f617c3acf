/**
 * The order `mongock create` gives a new unit: one that sorts after every existing unit, compared
 * as the runner compares orders (`change/unit-order.ts`: Java Mongock's comparator, as strings).
 */
import { compareJavaStrings, compareUnitOrders, hasText } from '../change/unit-order.ts';

/** Width of the first order in an empty folder: `0001`. */
export const DEFAULT_ORDER_WIDTH = 4;

/** Widths of date-stamped orders: `YYYYMMDD`, `YYYYMMDDHHmm`, `YYYYMMDDHHmmss`. */
const DATE_STAMP_WIDTHS: readonly number[] = [8, 12, 14];
const DIGITS = /^\d+$/;
const TRAILING_DIGITS = /^(.*?)(\d+)$/;

export type OrderScheme = 'first' | 'numeric' | 'date-stamp' | 'after-greatest';

export interface NextOrder {
  readonly order: string;
  /** How it was chosen, for the message and `--json`. */
  readonly scheme: OrderScheme;
}

/** Java Mongock's string comparison, which the runner uses (`String#compareTo`, UTF-16 code units). */
function greater(a: string, b: string): boolean {
  return compareJavaStrings(a, b) > 0;
}

/**
 * Whether a unit with order `order` runs after every unit whose order key is in `existing`
 * (`[unit order]` or `[ChangeLog order, ChangeSet order]`), by the runner's own unit comparator,
 * whatever the class names: equal orders are decided by class name, and a unit without an order
 * runs after every unit with one, so neither can be proven.
 */
export function sortsAfterAll(order: string, existing: readonly (readonly string[])[]): boolean {
  return existing.every((key) => {
    const theirs = key[0] ?? '';
    const mine = (className: string) => ({ order, className });
    return compareUnitOrders(mine('A'), { order: theirs, className: 'B' }) > 0 && compareUnitOrders(mine('B'), { order: theirs, className: 'A' }) > 0;
  });
}

/**
 * The next order after `existing`: numeric orders of one width are incremented keeping the width;
 * date-stamped ones take the current stamp (or the next one, if the newest is ahead of the clock);
 * anything else takes the greatest order and raises its trailing number, or extends it — a string
 * that extends another always sorts after it.
 */
export function nextOrder(existing: readonly (readonly string[])[], now: Date): NextOrder {
  const firsts = existing.map((key) => key[0] ?? '').filter(hasText);
  if (firsts.length === 0) return { order: '1'.padStart(DEFAULT_ORDER_WIDTH, '0'), scheme: 'first' };
  const greatest = firsts.reduce((max, order) => (greater(order, max) ? order : max));
  const widths = new Set(firsts.map((order) => order.length));
  if (widths.size === 1 && firsts.every((order) => DIGITS.test(order))) {
    const width = greatest.length;
    if (DATE_STAMP_WIDTHS.includes(width) && isDateStamp(greatest)) {
      const stamp = dateStamp(now, width);
      if (greater(stamp, greatest)) return { order: stamp, scheme: 'date-stamp' };
    }
    const next = (BigInt(greatest) + 1n).toString().padStart(width, '0');
    if (next.length === width) return { order: next, scheme: DATE_STAMP_WIDTHS.includes(width) && isDateStamp(greatest) ? 'date-stamp' : 'numeric' };
  }
  return { order: after(greatest), scheme: 'after-greatest' };
}

/** A string that sorts after `order`: its trailing number plus one at the same width, else `order` extended. */
function after(order: string): string {
  const match = TRAILING_DIGITS.exec(order);
  if (match !== null) {
    const [, prefix, digits] = match as unknown as [string, string, string];
    const next = (BigInt(digits) + 1n).toString().padStart(digits.length, '0');
    if (next.length === digits.length) return `${prefix}${next}`;
  }
  return `${order}_1`;
}

function isDateStamp(order: string): boolean {
  const year = Number(order.slice(0, 4));
  const month = Number(order.slice(4, 6));
  const day = Number(order.slice(6, 8));
  return year >= 1970 && year < 3000 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

function dateStamp(now: Date, width: number): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const full = `${now.getUTCFullYear()}${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())}${two(now.getUTCHours())}${two(now.getUTCMinutes())}${two(now.getUTCSeconds())}`;
  return full.slice(0, width);
}
