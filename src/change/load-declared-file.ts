import { basename, dirname, extname, join } from 'node:path';
import { MongockError } from '../errors/mongock-error.ts';
import { builtins } from '../runtime/builtins.ts';
import { declarativeFileUnit } from './declarative/declarative-file-unit.ts';
import { DECLARATIVE_EXTENSIONS, ROLLBACK_SUFFIX } from './declared-files.ts';
import { sqlFileUnit } from './sql/sql-file-unit.ts';

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
