import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MongockError } from '../errors/mongock-error.ts';
import { importTypeScript, nativeImport, TYPESCRIPT_EXTENSIONS, TYPESCRIPT_LOADER_MISSING } from '../runtime/typescript-loader.ts';
import { CliError } from './cli-error.ts';

/** Looked for in this order, in the working directory and then each parent. */
export const CONFIG_FILE_NAMES: readonly string[] = Object.freeze([
  'mongock.config.ts',
  'mongock.config.mts',
  'mongock.config.cts',
  'mongock.config.js',
  'mongock.config.mjs',
  'mongock.config.cjs',
  'mongock.config.json',
]);

/** `--config`, else `MONGOCK_CONFIG`, else the first config file found upward from `cwd`. */
export function findConfigFile(cwd: string, explicit: string | undefined): string {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new CliError('CONFIG', `Config file ${file} does not exist.`, { hint: 'Check --config / MONGOCK_CONFIG.', file });
    return file;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    if (dirname(dir) === dir) break;
  }
  throw new CliError('CONFIG', `No Mongock config file found in ${resolve(cwd)} or its parents (looked for ${CONFIG_FILE_NAMES.join(', ')}).`, {
    hint: 'Create one with `mongock init`, or pass --config <file>.',
  });
}

/** Imports a config file (TypeScript through Node's type stripping or tsx, see typescript-loader.ts) and returns its default export, awaited and called if it is a function. */
export async function importConfigFile(file: string): Promise<Record<string, unknown>> {
  let exported: unknown;
  try {
    const ext = extname(file);
    if (ext === '.json') {
      exported = JSON.parse(await readFile(file, 'utf8'));
    } else {
      const namespace = TYPESCRIPT_EXTENSIONS.includes(ext) ? await importTypeScript(file) : await nativeImport(pathToFileURL(file).href);
      if (!('default' in namespace)) {
        throw new CliError('CONFIG', `Config file ${file} has no default export, so it does not export a configuration object.`, {
          hint: "Use `export default defineConfig({ driver, migrationScanPath })` from 'mongock'.",
          file,
        });
      }
      exported = namespace.default;
      // CommonJS through tsx arrives as { default: module.exports } once more.
      if (isPlainRecord(exported) && 'default' in exported && Object.keys(exported).length === 1) exported = exported.default;
    }
    if (typeof exported === 'function') exported = await (exported as () => unknown)();
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    if ((cause as { code?: unknown } | null)?.code === TYPESCRIPT_LOADER_MISSING) {
      throw new MongockError('TYPESCRIPT_LOADER_MISSING', reason, { file, cause: (cause as Error).cause });
    }
    throw new CliError('CONFIG', `Could not load config file ${file}: ${reason}`, {
      hint: 'Fix the file; it must `export default defineConfig({ ... })` (or `module.exports =` in CommonJS).',
      file,
      cause,
    });
  }
  if (!isPlainRecord(exported)) {
    throw new CliError('CONFIG', `Config file ${file} does not export a configuration object (got ${exported === null ? 'null' : typeof exported}).`, {
      hint: "Use `export default defineConfig({ driver, migrationScanPath })` from 'mongock'.",
      file,
    });
  }
  return exported;
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
