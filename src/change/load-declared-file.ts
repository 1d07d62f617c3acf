import { basename, dirname, extname, join } from 'node:path';
import { MongockError } from '../errors/mongock-error.ts';
import { builtins } from '../runtime/builtins.ts';
import { DECLARATIVE_EXTENSIONS, declarativeFileUnit } from './declarative/declarative-file-unit.ts';
import { ROLLBACK_SUFFIX, sqlFileUnit } from './sql/sql-file-unit.ts';

/** Unit files that are read, not imported: SQL statements (docs/sql-units.md), MongoDB command lists (docs/declarative-units.md). */
export const DECLARED_EXTENSIONS: readonly string[] = Object.freeze(['.sql', ...DECLARATIVE_EXTENSIONS]);

/** True for a file a scan path reads as a unit of its own (a `*.rollback.sql` belongs to its unit). */
export function isDeclaredUnitFile(name: string): boolean {
  return DECLARED_EXTENSIONS.includes(extname(name)) && !name.endsWith(ROLLBACK_SUFFIX);
}

/** The unit of a declared file, as a module namespace whose default export is the unit. */
export async function loadDeclaredFile(file: string): Promise<Record<string, unknown>> {
  const { readFile, stat } = builtins.fs();
  const read = (path: string) =>
    readFile(path, 'utf8').catch((cause: unknown) => {
      throw new MongockError('MODULE_LOAD_FAILED', `Could not read change unit file ${path}: ${cause instanceof Error ? cause.message : String(cause)}.`, {
        file: path,
        cause,
      });
    });
  const text = await read(file);
  if (DECLARATIVE_EXTENSIONS.includes(extname(file))) return { default: declarativeFileUnit(file, text) };
  const rollbackFile = join(dirname(file), `${basename(file, '.sql')}${ROLLBACK_SUFFIX}`);
  const hasRollback = await stat(rollbackFile).then(
    (info) => info.isFile(),
    () => false,
  );
  const rollbackText = hasRollback ? await read(rollbackFile) : undefined;
  return { default: sqlFileUnit(file, text, hasRollback ? rollbackFile : undefined, rollbackText) };
}
