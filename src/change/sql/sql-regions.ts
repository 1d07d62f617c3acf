import type { SqlDialect } from './sql-script-target.ts';

/**
 * A part of a script that is not plain code: a comment, a MySQL comment that the server executes
 * (`/*! ... *\/`, `/*M! ... *\/`, `/*+ ... *\/`), or a quoted text (string, quoted identifier, dollar-quoted body).
 * `end` is exclusive.
 */
export interface SqlRegion {
  readonly kind: 'comment' | 'executable-comment' | 'quoted';
  readonly start: number;
  readonly end: number;
}

/** How one dialect writes comments and quotes, as its server reads them. */
interface DialectRules {
  /** `#` starts a comment to the end of the line (MySQL). */
  readonly hashComments: boolean;
  /** `--` starts a comment only when a space or control character follows (MySQL). */
  readonly dashNeedsSpace: boolean;
  /** `/* /* *\/ *\/` nests (PostgreSQL). */
  readonly nestedComments: boolean;
  /** `/*!`, `/*M!` and `/*+` are code the server runs (MySQL, MariaDB). */
  readonly executableComments: boolean;
  /** Opening quote → closing quote. */
  readonly quotes: Readonly<Record<string, string>>;
  /** Quotes inside which a backslash escapes the next character (MySQL strings). */
  readonly backslashIn: string;
  /** `E'...'` strings take backslash escapes (PostgreSQL). */
  readonly escapeStrings: boolean;
  /** `$$ ... $$`, `$tag$ ... $tag$` (PostgreSQL). */
  readonly dollarQuotes: boolean;
}

const RULES: Readonly<Record<SqlDialect, DialectRules>> = Object.freeze({
  postgres: {
    hashComments: false,
    dashNeedsSpace: false,
    nestedComments: true,
    executableComments: false,
    quotes: { "'": "'", '"': '"' },
    backslashIn: '',
    escapeStrings: true,
    dollarQuotes: true,
  },
  mysql: {
    hashComments: true,
    dashNeedsSpace: true,
    nestedComments: false,
    executableComments: true,
    quotes: { "'": "'", '"': '"', '`': '`' },
    backslashIn: `'"`,
    escapeStrings: false,
    dollarQuotes: false,
  },
  sqlite: {
    hashComments: false,
    dashNeedsSpace: false,
    nestedComments: false,
    executableComments: false,
    quotes: { "'": "'", '"': '"', '`': '`', '[': ']' },
    backslashIn: '',
    escapeStrings: false,
    dollarQuotes: false,
  },
});

/** `/*!` (MySQL and MariaDB run it), `/*M!` (MariaDB), `/*+` (optimiser hints). */
export const EXECUTED_COMMENT = /^\/\*(?:!|M!|\+)/;
const IDENTIFIER_CHAR = /[\p{L}\p{N}_$]/u;
const DOLLAR_TAG = /\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/uy;

/**
 * The comments and quoted texts of a script, by the rules of the dialect's own server: MySQL `#`
 * and `-- ` comments, `/*! *\/` executed comments and backslash escapes; PostgreSQL nested
 * comments, `E'...'` escape strings and dollar quotes; SQLite `[...]` identifiers. With
 * `dollarQuotes: false`, a dollar-quoted body is read as code (the checksum normalises inside it).
 */
export function sqlRegions(text: string, dialect: SqlDialect, options: { readonly dollarQuotes?: boolean } = {}): SqlRegion[] {
  const rules = RULES[dialect];
  const dollarQuotes = rules.dollarQuotes && options.dollarQuotes !== false;
  const regions: SqlRegion[] = [];
  let i = 0;
  while (i < text.length) {
    const end = regionEnd(text, i, rules, dollarQuotes);
    if (end === undefined) {
      i++;
      continue;
    }
    regions.push({ kind: kindAt(text, i, rules), start: i, end });
    i = end;
  }
  return regions;
}

function kindAt(text: string, at: number, rules: DialectRules): SqlRegion['kind'] {
  const c = text[at];
  if (c === '-' || c === '#') return 'comment';
  if (c === '/') return rules.executableComments && EXECUTED_COMMENT.test(text.slice(at, at + 4)) ? 'executable-comment' : 'comment';
  return 'quoted';
}

/** Where the region starting at `at` ends, or undefined when code starts there. */
function regionEnd(text: string, at: number, rules: DialectRules, dollarQuotes: boolean): number | undefined {
  const c = text[at]!;
  const next = text[at + 1];
  if (c === '-' && next === '-') {
    const after = text[at + 2];
    if (rules.dashNeedsSpace && after !== undefined && after > ' ') return undefined;
    return lineEnd(text, at);
  }
  if (c === '#' && rules.hashComments) return lineEnd(text, at);
  if (c === '/' && next === '*') return commentEnd(text, at, rules.nestedComments);
  const close = rules.quotes[c];
  if (close !== undefined) {
    const escapes = rules.backslashIn.includes(c) || (c === "'" && rules.escapeStrings && isEscapeStringPrefix(text, at));
    return quoteEnd(text, at, close, escapes);
  }
  if (c === '$' && dollarQuotes && !IDENTIFIER_CHAR.test(text[at - 1] ?? ' ')) {
    DOLLAR_TAG.lastIndex = at;
    const tag = DOLLAR_TAG.exec(text)?.[0];
    if (tag === undefined) return undefined;
    const closing = text.indexOf(tag, at + tag.length);
    return closing === -1 ? text.length : closing + tag.length;
  }
  return undefined;
}

function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end === -1 ? text.length : end;
}

function commentEnd(text: string, at: number, nested: boolean): number {
  let depth = 1;
  let i = at + 2;
  while (i < text.length) {
    if (text[i] === '*' && text[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0 || !nested) return i;
    } else if (nested && text[i] === '/' && text[i + 1] === '*') {
      depth++;
      i += 2;
    } else i++;
  }
  return text.length;
}

/** `E'...'` (or `e'...'`) where the `E` is not the end of an identifier. */
function isEscapeStringPrefix(text: string, quoteAt: number): boolean {
  const prefix = text[quoteAt - 1];
  return (prefix === 'E' || prefix === 'e') && !IDENTIFIER_CHAR.test(text[quoteAt - 2] ?? ' ');
}

/** The end of a quoted text: a doubled closing quote stays inside, and so does an escaped character. */
function quoteEnd(text: string, at: number, close: string, backslashEscapes: boolean): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text[i];
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === close) {
      if (text[i + 1] !== close) return i + 1;
      i += 2;
    } else i++;
  }
  return text.length;
}
