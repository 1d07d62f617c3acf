import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import { MongockError } from '../../errors/mongock-error.ts';
import { RECOVERY_STRATEGIES } from '../change-unit.ts';
import { markDeclared } from '../declared-unit.ts';
import { type ChangeUnitDefinition, defineChangeUnit } from '../define-change-unit.ts';
import { type MongoCommand, mongoTargetOf, parseCommand, runCommand } from './mongo-commands.ts';

const FILE_NAME = /^([^_\-.][^_-]*)[_-].+$/;
const BOOLEAN_KEYS = ['transactional', 'runAlways', 'failFast'] as const;
const TOP_LEVEL = ['id', 'order', 'author', 'systemVersion', 'profiles', 'recovery', 'timeoutMs', ...BOOLEAN_KEYS, 'changes', 'rollback'];

const require = createRequire(import.meta.url);

function parseText(file: string, changeId: string, text: string): unknown {
  const yaml = extname(file) !== '.json';
  try {
    if (!yaml) return JSON.parse(text);
    let parser: { parse(text: string): unknown };
    try {
      parser = require('yaml') as { parse(text: string): unknown };
    } catch (cause) {
      throw new MongockError(
        'MODULE_LOAD_FAILED',
        `${file} is a YAML change unit, and reading YAML needs the 'yaml' package: npm install yaml (or write the unit as .json).`,
        {
          file,
          changeId,
          cause,
        },
      );
    }
    return parser.parse(text);
  } catch (cause) {
    if (cause instanceof MongockError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new MongockError('INVALID_CHANGE_UNIT', `Declarative change unit '${changeId}' (${file}) is not valid ${yaml ? 'YAML' : 'JSON'}: ${reason}`, {
      file,
      changeId,
      cause,
    });
  }
}

/** EJSON (`{ "$date": ... }`, `{ "$oid": ... }`) through the mongodb package the driver already loaded; plain values otherwise. */
function fromExtendedJson(command: MongoCommand): MongoCommand {
  let ejson: { deserialize(value: unknown): unknown } | undefined;
  try {
    ejson = (require('mongodb') as { BSON: { EJSON: { deserialize(value: unknown): unknown } } }).BSON.EJSON;
  } catch {
    return command;
  }
  return { ...command, fields: ejson.deserialize(command.fields) as Record<string, unknown> };
}

function commandList(raw: unknown, key: 'changes' | 'rollback', problems: string[]): MongoCommand[] {
  if (!Array.isArray(raw)) {
    problems.push(`'${key}' must be a list of commands.`);
    return [];
  }
  return raw.flatMap((entry, i) => parseCommand(entry, `${key}[${i}]`, problems) ?? []);
}

/** Every problem of a parsed file, or none; the unit's options as `defineChangeUnit` takes them. */
function check(
  data: unknown,
  fallbackOrder: string | undefined,
): { problems: string[]; options: Record<string, unknown>; changes: MongoCommand[]; rollback: MongoCommand[] | undefined } {
  const problems: string[] = [];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { problems: ['the file must hold an object with a "changes" list.'], options: {}, changes: [], rollback: undefined };
  }
  const raw = data as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!TOP_LEVEL.includes(key)) problems.push(`unknown key '${key}'; the keys are ${TOP_LEVEL.join(', ')}.`);
  for (const key of ['id', 'order', 'author', 'systemVersion'] as const)
    if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) problems.push(`'${key}' must be a non-empty string.`);
  for (const key of BOOLEAN_KEYS) if (raw[key] !== undefined && typeof raw[key] !== 'boolean') problems.push(`'${key}' must be true or false.`);
  if (raw.profiles !== undefined && !(Array.isArray(raw.profiles) && raw.profiles.every((profile) => typeof profile === 'string')))
    problems.push('\'profiles\' must be a list of strings, e.g. ["!prod"].');
  if (raw.recovery !== undefined && !RECOVERY_STRATEGIES.includes(raw.recovery as never))
    problems.push(`'recovery' must be one of ${RECOVERY_STRATEGIES.join(', ')}.`);
  if (raw.timeoutMs !== undefined && !(Number.isInteger(raw.timeoutMs) && (raw.timeoutMs as number) > 0))
    problems.push("'timeoutMs' must be a whole number of milliseconds.");
  const order = raw.order ?? fallbackOrder;
  if (order === undefined) problems.push('its name gives no order; name it <order>_<name>.json (e.g. 003_add_users.json), or set "order".');
  const changes = raw.changes === undefined ? (problems.push("it has no 'changes' list."), []) : commandList(raw.changes, 'changes', problems);
  if (Array.isArray(raw.changes) && raw.changes.length === 0) problems.push("'changes' is empty.");
  const rollback = raw.rollback === undefined ? undefined : commandList(raw.rollback, 'rollback', problems);
  const { changes: _c, rollback: _r, ...options } = raw;
  return { problems, options: { ...options, order }, changes, rollback };
}

async function runList(file: string, changeId: string, list: readonly MongoCommand[], section: string, context: object): Promise<void> {
  const target = mongoTargetOf(context);
  if (target === undefined)
    throw new MongockError('INVALID_CHANGE_UNIT', `Declarative change unit '${changeId}' (${file}) lists MongoDB commands; it needs the MongoDB driver.`, {
      file,
      changeId,
    });
  for (const [index, command] of list.entries()) {
    try {
      await runCommand(target, fromExtendedJson(command));
    } catch (cause) {
      if (cause instanceof MongockError && cause.code === 'LOCK_LOST') throw cause;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new MongockError(
        'CHANGE_FAILED',
        `${section}[${index}] (${command.command} '${command.collection}') of declarative change unit '${changeId}' (${file}) failed: ${reason}`,
        { file, changeId, cause },
      );
    }
  }
}

/** The change unit of a `.json`/`.yaml` file listing MongoDB commands (docs/declarative-units.md); checked whole before anything runs. */
export function declarativeFileUnit(file: string, text: string): ChangeUnitDefinition<never> {
  const name = basename(file, extname(file));
  const data = parseText(file, name, text);
  const { problems, options, changes, rollback } = check(data, FILE_NAME.exec(name)?.[1]);
  const id = typeof options.id === 'string' ? options.id : name;
  if (problems.length > 0)
    throw new MongockError('INVALID_CHANGE_UNIT', `Declarative change unit '${id}' (${file}): ${problems.join(' ')} Nothing was run.`, {
      file,
      changeId: id,
      problems,
    });
  const definition = {
    ...options,
    id,
    execute: (context: object) => runList(file, id, changes, 'changes', context),
    rollback: async (context: object) => {
      if (rollback === undefined)
        throw new MongockError('ROLLBACK_FAILED', `Declarative change unit '${id}' (${file}) has no "rollback" list; add one to undo it.`, {
          file,
          changeId: id,
          operation: 'rollback',
        });
      await runList(file, id, rollback, 'rollback', context);
    },
  };
  return markDeclared(defineChangeUnit(definition as unknown as ChangeUnitDefinition<never>), {
    kind: 'declarative',
    normalText: () => JSON.stringify(changes),
  });
}
