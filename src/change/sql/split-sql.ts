import { createRequire } from 'node:module';
import type { SplitterOptions } from 'dbgate-query-splitter';
import { EXECUTED_COMMENT, type SqlRegion, sqlRegions } from './sql-regions.ts';
import type { SqlDialect } from './sql-script-target.ts';

/** One statement of a `.sql` file (with its comments), and the 1-based line of its first code (for error messages). */
export interface SqlStatement {
  readonly text: string;
  readonly line: number;
}

/** What the splitter returns per statement with `returnRichInfo` (0-based lines). */
interface SplitPosition {
  readonly line: number;
  readonly position: number;
}

interface SplitResultItemRich {
  readonly start: SplitPosition;
  readonly end: SplitPosition;
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

/** The statements' positions (`returnRichInfo` makes every item an object). */
function rich(items: readonly (string | SplitResultItemRich)[]): SplitResultItemRich[] {
  return items.filter((item): item is SplitResultItemRich => typeof item !== 'string');
}

/**
 * The script as the splitter is given it, of the same length and lines: comments blanked out, each
 * quoted text and executed comment replaced by a plain `'...'` of blanks, and MySQL's `--` that
 * starts no comment broken up. The splitter then sees only code, whatever comment or string forms
 * it does not know itself. With `commentsOnly`, quoted texts stay (to tell code from comments).
 */
function masked(script: string, regions: readonly SqlRegion[], commentsOnly = false): string {
  let out = '';
  let at = 0;
  for (const region of regions) {
    if (commentsOnly && region.kind !== 'comment') continue;
    out += script.slice(at, region.start).replaceAll('--', '- ');
    const blank = script.slice(region.start, region.end).replace(/[^\n]/g, ' ');
    out += region.kind === 'comment' || blank.length < 2 ? blank : `'${blank.slice(1, -1)}'`;
    at = region.end;
  }
  return out + script.slice(at).replaceAll('--', '- ');
}

/**
 * The statements of a script as the dialect's own client splits them. Comments and quoted texts
 * are found by the dialect's rules ({@link sqlRegions}: MySQL `#` comments and backslash escapes,
 * PostgreSQL `E'...'` strings, nested comments and dollar quotes, ...); dbgate-query-splitter then
 * finds the statement ends in the rest: `;`, `BEGIN ... END` blocks (SQLite triggers) and
 * `DELIMITER` (MySQL procedures and triggers). Each statement keeps its comments (MySQL
 * `/*! ... *\/` and optimiser hints mean something); fragments that are only comments are dropped.
 */
export function splitStatements(script: string, dialect: SqlDialect): SqlStatement[] {
  const { splitQuery } = load();
  const regions = sqlRegions(script, dialect);
  const withoutComments = masked(script, regions, true);
  return rich(splitQuery(masked(script, regions), optionsFor(dialect)))
    .filter((item) => /\S/.test(withoutComments.slice(item.start.position, item.end.position)))
    .map((item) => {
      // The line of its first code, past leading comments: where an error message sends the reader.
      const code = withoutComments.slice(item.start.position, item.end.position);
      const lead = code.slice(0, code.length - code.trimStart().length);
      return { text: script.slice(item.start.position, item.end.position).trim(), line: item.start.line + 1 + (lead.match(/\n/g)?.length ?? 0) };
    });
}

/**
 * The dialect whose rules the checksum's normal form uses, read from the file since the checksum
 * does not depend on the driver (docs/sql-units.md, "Checksums"): MySQL's for a script with a
 * `DELIMITER` line, a line starting with a `#` comment, a backtick or a `/*!` comment; else PostgreSQL's.
 */
export function checksumDialect(script: string): SqlDialect {
  return MYSQL_SIGNS.some((sign) => sign.test(script)) ? 'mysql' : 'postgres';
}

const MYSQL_SIGNS = Object.freeze([/^\s*DELIMITER\s+\S+/im, /^[ \t]*#(?:[ \t\p{L}#]|$)/mu, /`/, /\/\*M?!/]);

/**
 * The normal form a `.sql` unit's checksum is taken over (docs/sql-units.md, "Checksums"): the
 * statements as split, each without its comments and with every run of whitespace outside quotes
 * removed, or kept as one space between two word characters; joined by `;` and a line break.
 * Statement terminators and `DELIMITER` lines do not count; keyword case, everything inside quotes
 * and MySQL's executed comments (`/*! ... *\/`, `/*M! ... *\/`, `/*+ ... *\/`, normalised
 * inside) do.
 */
export function normalSql(script: string): string {
  const dialect = checksumDialect(script);
  return splitStatements(script, dialect)
    .map((statement) => normalStatement(statement.text, dialect))
    .filter((text) => text !== '')
    .join(';\n');
}

const WORD = /[\p{L}\p{N}_$]/u;

/** One statement without comments and insignificant whitespace; quoted text is kept as it is. */
function normalStatement(text: string, dialect: SqlDialect): string {
  let out = '';
  let pendingSpace = false;
  const emit = (piece: string): void => {
    if (piece === '') return;
    if (pendingSpace && WORD.test(out.at(-1) ?? '') && WORD.test(piece[0]!)) out += ' ';
    pendingSpace = false;
    out += piece;
  };
  const code = (part: string): void => {
    for (const word of part.split(/(\s+)/)) {
      if (/^\s+$/.test(word)) pendingSpace = true;
      else emit(word);
    }
  };
  let at = 0;
  // Inside a dollar-quoted body comments and whitespace are normalised too: it is code (a function body).
  for (const region of sqlRegions(text, dialect, { dollarQuotes: false })) {
    code(text.slice(at, region.start));
    const piece = text.slice(region.start, region.end);
    if (region.kind === 'comment') pendingSpace = true;
    else if (region.kind === 'quoted') emit(piece);
    else {
      const opening = EXECUTED_COMMENT.exec(piece)?.[0] ?? '/*';
      emit(`${opening}${normalStatement(piece.slice(opening.length, piece.endsWith('*/') ? -2 : undefined), dialect)}*/`);
    }
    at = region.end;
  }
  code(text.slice(at));
  return out;
}
