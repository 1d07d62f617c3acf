import { basename } from 'node:path';
import { MongockError } from '../../errors/mongock-error.ts';
import { RECOVERY_STRATEGIES, type RecoveryStrategy } from '../change-unit.ts';
import { ROLLBACK_SUFFIX } from '../declared-files.ts';
import { markDeclared } from '../declared-unit.ts';
import { type ChangeUnitDefinition, defineChangeUnit } from '../define-change-unit.ts';
import { normalSql, splitStatements } from './split-sql.ts';
import { sqlScriptTargetOf } from './sql-script-target.ts';

/** A `.sql` change unit's file name: `<order>_<name>.sql` (or `<order>-<name>.sql`); the id is the name without `.sql`. */
export const SQL_FILE_NAME = /^([^_\-.][^_-]*)[_-].+\.sql$/;
const HEADER = /^\s*--\s*mongock:(?!rollback\b)(.*)$/;
const ROLLBACK_MARKER = /^\s*--\s*mongock:rollback\s*$/m;

/** The header keys a `.sql` file may set (`-- mongock: author=ana transactional=false`). */
export const SQL_HEADER_KEYS = Object.freeze([
  'id',
  'order',
  'author',
  'transactional',
  'runAlways',
  'failFast',
  'profiles',
  'systemVersion',
  'recovery',
  'timeoutMs',
] as const);
type HeaderKey = (typeof SQL_HEADER_KEYS)[number];

interface SqlFileParts {
  readonly header: Partial<Record<HeaderKey, string>>;
  readonly execution: string;
  readonly rollback: string | undefined;
}

function invalid(file: string, changeId: string, problem: string, cause?: unknown): MongockError {
  return new MongockError('INVALID_CHANGE_UNIT', `SQL change unit '${changeId}' (${file}): ${problem}`, { file, changeId, problems: [problem], cause });
}

/** Splits a file into its header, its statements and its rollback section (`-- mongock:rollback`). */
function parts(file: string, changeId: string, text: string, rollbackFile: string | undefined): SqlFileParts {
  const header: Partial<Record<HeaderKey, string>> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = HEADER.exec(line);
    if (match === null) continue;
    for (const pair of match[1]!
      .trim()
      .split(/\s+/)
      .filter((word) => word !== '')) {
      const at = pair.indexOf('=');
      const key = pair.slice(0, at) as HeaderKey;
      if (at <= 0 || !SQL_HEADER_KEYS.includes(key))
        throw invalid(
          file,
          changeId,
          `unknown header entry '${pair}'; a header line is \`-- mongock: key=value ...\` with keys ${SQL_HEADER_KEYS.join(', ')}.`,
        );
      if (header[key] !== undefined) throw invalid(file, changeId, `header key '${key}' is given twice.`);
      header[key] = pair.slice(at + 1);
    }
  }
  const marker = ROLLBACK_MARKER.exec(text);
  if (marker !== null && rollbackFile !== undefined)
    throw invalid(file, changeId, `it has a -- mongock:rollback section and a sibling ${basename(rollbackFile)}; keep one of them.`);
  if (marker === null) return { header, execution: text, rollback: undefined };
  return { header, execution: text.slice(0, marker.index), rollback: text.slice(marker.index + marker[0].length) };
}

function bool(file: string, changeId: string, key: HeaderKey, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalid(file, changeId, `header '${key}' must be true or false; got '${value}'.`);
}

/** Runs one script's statements through the context's SQL handle, naming the failing statement. */
async function runScript(file: string, changeId: string, script: string, section: string, context: object): Promise<void> {
  const target = sqlScriptTargetOf(context);
  if (target === undefined)
    throw new MongockError(
      'INVALID_CHANGE_UNIT',
      `SQL change unit '${changeId}' (${file}) needs a SQL driver (PostgreSQL, MySQL/MariaDB or SQLite); this driver runs no SQL.`,
      {
        file,
        changeId,
      },
    );
  const statements = splitStatements(script, target.dialect);
  for (const [index, statement] of statements.entries()) {
    try {
      await target.runStatement(statement.text);
    } catch (cause) {
      if (cause instanceof MongockError && cause.code === 'LOCK_LOST') throw cause;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new MongockError(
        'CHANGE_FAILED',
        `Statement ${index + 1} of ${statements.length} (line ${statement.line}) of the ${section} of SQL change unit '${changeId}' (${file}) failed: ${reason}`,
        { file, changeId, cause },
      );
    }
  }
}

/**
 * The change unit of a `.sql` file (docs/sql-units.md). `rollbackText` is the sibling
 * `*.rollback.sql`, when there is one. Nothing runs here: the statements are split when the unit
 * runs, by the dialect of the driver that runs it.
 */
export function sqlFileUnit(file: string, text: string, rollbackFile?: string, rollbackText?: string): ChangeUnitDefinition<never> {
  const name = basename(file);
  const fallbackId = name.slice(0, -'.sql'.length);
  const { header, execution, rollback: section } = parts(file, fallbackId, text, rollbackFile);
  const id = header.id ?? fallbackId;
  const order = header.order ?? SQL_FILE_NAME.exec(name)?.[1];
  if (order === undefined)
    throw invalid(file, id, `its name gives no order; name it <order>_<name>.sql (e.g. 001_create_users.sql), or set \`-- mongock: order=...\`.`);
  const rollback = rollbackText ?? section;
  const recovery = header.recovery as RecoveryStrategy | undefined;
  if (recovery !== undefined && !RECOVERY_STRATEGIES.includes(recovery))
    throw invalid(file, id, `header 'recovery' must be one of ${RECOVERY_STRATEGIES.join(', ')}; got '${recovery}'.`);
  const timeoutMs = header.timeoutMs === undefined ? undefined : Number(header.timeoutMs);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
    throw invalid(file, id, `header 'timeoutMs' must be a whole number of milliseconds; got '${header.timeoutMs}'.`);
  if (normalSql(execution) === '') throw invalid(file, id, 'it has no SQL statement to run.');
  const rollbackWhere = rollbackText !== undefined ? `${rollbackFile}` : 'rollback section';
  const definition = {
    id,
    order,
    ...(header.author === undefined ? {} : { author: header.author }),
    ...(header.systemVersion === undefined ? {} : { systemVersion: header.systemVersion }),
    ...(header.profiles === undefined ? {} : { profiles: header.profiles.split(',').filter((profile) => profile !== '') }),
    ...(recovery === undefined ? {} : { recovery }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...optional('transactional', bool(file, id, 'transactional', header.transactional)),
    ...optional('runAlways', bool(file, id, 'runAlways', header.runAlways)),
    ...optional('failFast', bool(file, id, 'failFast', header.failFast)),
    execute: (context: object) => runScript(file, id, execution, 'statements', context),
    rollback: async (context: object) => {
      if (rollback === undefined || normalSql(rollback) === '')
        throw new MongockError(
          'ROLLBACK_FAILED',
          `SQL change unit '${id}' (${file}) has no rollback: add a \`-- mongock:rollback\` section or a ${fallbackId}${ROLLBACK_SUFFIX} file.`,
          { file, changeId: id, operation: 'rollback' },
        );
      await runScript(file, id, rollback, rollbackWhere, context);
    },
  };
  return markDeclared(defineChangeUnit(definition as ChangeUnitDefinition<never>), { kind: 'sql', normalText: () => normalSql(execution) });
}

function optional<K extends string>(key: K, value: boolean | undefined): Partial<Record<K, boolean>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, boolean>);
}
