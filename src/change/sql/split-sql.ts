import { createRequire } from 'node:module';
import type { SplitterOptions } from 'dbgate-query-splitter';
import type { SqlDialect } from './sql-script-target.ts';

/** One statement of a `.sql` file, with the 1-based line it starts on (for error messages). */
export interface SqlStatement {
  readonly text: string;
  readonly line: number;
}

/** What the splitter returns per statement with `returnRichInfo` (0-based lines). */
interface SplitResultItemRich {
  readonly text: string;
  readonly start: { readonly line: number };
  readonly trimStart?: { readonly line: number };
}

interface Splitter {
  splitQuery(sql: string, options: SplitterOptions): (string | SplitResultItemRich)[];
  postgreSplitterOptions: SplitterOptions;
  mysqlSplitterOptions: SplitterOptions;
  sqliteSplitterOptions: SplitterOptions;
}

let splitter: Splitter | undefined;

/** dbgate-query-splitter, loaded on first use: code-only projects never load it. */
function load(): Splitter {
  splitter ??= createRequire(import.meta.url)('dbgate-query-splitter') as Splitter;
  return splitter;
}

function optionsFor(dialect: SqlDialect): SplitterOptions {
  const lib = load();
  const base = dialect === 'postgres' ? lib.postgreSplitterOptions : dialect === 'mysql' ? lib.mysqlSplitterOptions : lib.sqliteSplitterOptions;
  // Comments are kept: the splitter's ignoreComments leaves a comment after the last statement in place.
  return { ...base, ignoreComments: false, returnRichInfo: true };
}

function rich(items: readonly (string | SplitResultItemRich)[]): SplitResultItemRich[] {
  return items.map((item) => (typeof item === 'string' ? { text: item, start: { line: 0 } } : item));
}

/**
 * The statements of a script as the dialect's own client splits them: dollar-quoted bodies
 * (PostgreSQL), `BEGIN ... END` blocks (SQLite triggers), `DELIMITER` (MySQL procedures and
 * triggers), comments and string literals are kept whole. Each statement keeps its comments (MySQL
 * `/*! ... *\/` and optimiser hints mean something); fragments that are only comments are dropped.
 */
export function splitStatements(script: string, dialect: SqlDialect): SqlStatement[] {
  const { splitQuery } = load();
  return rich(splitQuery(script, optionsFor(dialect)))
    .filter((item) => withoutCommentsAndSpace(item.text) !== '')
    .map((item) => ({ text: item.text.trim(), line: (item.trimStart ?? item.start).line + 1 }));
}

/** The dialect whose rules the checksum's normal form uses: MySQL's for a script with `DELIMITER`, else PostgreSQL's. */
export function checksumDialect(script: string): SqlDialect {
  return /^\s*DELIMITER\s+\S+/im.test(script) ? 'mysql' : 'postgres';
}

/**
 * The normal form a `.sql` unit's checksum is taken over (docs/sql-units.md, "Checksums"): the
 * statements as split, each without its comments (`-- ...` to the end of the line, `/* ... *\/`)
 * and with every run of whitespace outside quotes ('...', "...", `...`) removed, or kept as one
 * space between two word characters; joined by `;` and a line break. Statement terminators and
 * `DELIMITER` lines do not count; keyword case and everything inside quotes do.
 */
export function normalSql(script: string): string {
  const { splitQuery } = load();
  return rich(splitQuery(script, optionsFor(checksumDialect(script))))
    .map((item) => withoutCommentsAndSpace(item.text))
    .filter((text) => text !== '')
    .join(';\n');
}

const WORD = /[\p{L}\p{N}_$]/u;
const QUOTES = new Set(["'", '"', '`']);

/** One statement without comments and insignificant whitespace; quoted text is kept as it is. */
function withoutCommentsAndSpace(text: string): string {
  let out = '';
  let pendingSpace = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      pendingSpace = true;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      pendingSpace = true;
    } else if (/\s/.test(c)) {
      i++;
      pendingSpace = true;
    } else {
      if (pendingSpace && WORD.test(out.at(-1) ?? '') && WORD.test(c)) out += ' ';
      pendingSpace = false;
      if (QUOTES.has(c)) {
        let j = i + 1;
        while (j < text.length && text[j] !== c) j++;
        out += text.slice(i, j + 1);
        i = j + 1;
      } else {
        out += c;
        i++;
      }
    }
  }
  return out;
}
