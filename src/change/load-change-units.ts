import { extname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MongockError } from '../errors/mongock-error.ts';
import { builtins } from '../runtime/builtins.ts';
import { locateSyntaxError } from '../runtime/syntax-error-location.ts';
import { importTypeScript, nativeImport, TYPESCRIPT_EXTENSIONS, TYPESCRIPT_LOADER_MISSING } from '../runtime/typescript-loader.ts';
import { isChangeUnitSource, type LocatedSource } from './collect-change-units.ts';
import { DECLARED_EXTENSIONS, isDeclaredUnitFile, loadDeclaredFile } from './load-declared-file.ts';
import { ROLLBACK_SUFFIX } from './sql/sql-file-unit.ts';

/** The files a scan path loads: modules, and declared units (`.sql`...). `.d.ts` and `*.rollback.sql` files are skipped. */
export const SCANNED_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', ...DECLARED_EXTENSIONS]);
const MODULE_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const DECLARATION = /\.d\.[cm]?ts$/;

/** Every module file under `dir`, recursively, sorted so that loading is deterministic. */
export async function listModuleFiles(dir: string): Promise<string[]> {
  const root = resolve(dir);
  const { readdir, stat } = builtins.fs();
  const info = await stat(root).catch((cause: unknown) => {
    throw new MongockError('INVALID_CONFIG', `Migration scan path '${dir}' (resolved to ${root}) does not exist or cannot be read. Fix migrationScanPath.`, {
      file: root,
      cause,
    });
  });
  if (info.isFile()) return [root];
  const files: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      // `folder` is resolved: a plain concatenation is the join, without normalising 1,000 paths.
      const path = folder.endsWith(sep) ? join(folder, entry.name) : `${folder}${sep}${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) await walk(path);
      } else if ((MODULE_EXTENSIONS.includes(extname(entry.name)) && !DECLARATION.test(entry.name)) || isDeclaredUnitFile(entry.name)) {
        files.push(path);
      }
    }
  };
  await walk(root);
  return files;
}

/** Imports one module file; a failure names the file and keeps the original error as `cause`. */
export async function importModuleFile(file: string): Promise<Record<string, unknown>> {
  if (isDeclaredUnitFile(file)) return loadDeclaredFile(file);
  try {
    if (TYPESCRIPT_EXTENSIONS.includes(extname(file))) return await importTypeScript(file);
    return await nativeImport(pathToFileURL(file).href);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    if ((cause as { code?: unknown } | null)?.code === TYPESCRIPT_LOADER_MISSING) {
      throw new MongockError('TYPESCRIPT_LOADER_MISSING', reason, { file, cause: (cause as Error).cause });
    }
    const syntax = cause instanceof Error && cause.name === 'SyntaxError' && !TYPESCRIPT_EXTENSIONS.includes(extname(file));
    const at = syntax ? await locateSyntaxError(file) : undefined;
    const where = at === undefined ? file : `${file}:${at.line}:${at.column}`;
    throw new MongockError('MODULE_LOAD_FAILED', `Could not import change unit module ${where}: ${reason}. Fix the module or move it out of the scan path.`, {
      file,
      cause,
    });
  }
}

/** The change units a module exports (default and named), each once. */
export function changeUnitsOfModule(namespace: Record<string, unknown>): unknown[] {
  const found = new Set<unknown>();
  const consider = (value: unknown) => {
    if (isChangeUnitSource(value)) found.add(value);
  };
  for (const value of Object.values(namespace)) {
    consider(value);
    // CommonJS `module.exports = { A, B }` arrives as the default export's properties.
    if (value !== null && typeof value === 'object' && !isChangeUnitSource(value)) {
      for (const inner of Object.values(value)) consider(inner);
    }
  }
  return [...found];
}

/** A module file of a scan path, with the digest that identifies its text (see {@link fileDigest}). */
export interface UnitFile {
  readonly path: string;
  readonly digest: string;
}

/**
 * Every module file under the given folders, each read and digested but not imported: a start-up
 * with nothing pending compares the digests with the history and imports nothing that is applied.
 * `salt` is what else decides a unit's history key (the default author).
 */
export async function listUnitFiles(paths: readonly string[], salt: string): Promise<UnitFile[]> {
  const files: UnitFile[] = [];
  const { existsSync, readFileSync } = builtins.fsSync();
  for (const path of paths) {
    const root = resolve(path);
    // Synchronous reads: for a thousand small files, the cheapest way.
    for (const file of await listModuleFiles(path)) {
      // A `.sql` unit's sibling `*.rollback.sql` is part of the unit: it counts in the digest.
      const sibling = file.endsWith('.sql') ? `${file.slice(0, -'.sql'.length)}${ROLLBACK_SUFFIX}` : undefined;
      const rollback = sibling !== undefined && existsSync(sibling) ? readFileSync(sibling) : undefined;
      files.push({ path: file, digest: fileDigest(salt, relativeTo(root, file), readFileSync(file), rollback) });
    }
  }
  return files;
}

/** `relative(root, file)` for a file listed under `root`, without resolving both again. */
function relativeTo(root: string, file: string): string {
  return file.startsWith(root) && file[root.length] === sep ? file.slice(root.length + 1) : relative(root, file);
}

/**
 * 16 hex digits of SHA-256 over the salt, the path relative to its scan path (with `/`) and the
 * file's bytes (with a `.sql` unit's sibling `*.rollback.sql`): moving or editing a file, or changing the
 * default author, gives another digest.
 */
export function fileDigest(salt: string, relativePath: string, content: Uint8Array, rollback?: Uint8Array): string {
  const crypto = builtins.crypto();
  const prefix = Buffer.from(`${salt}\u0000${sep === '/' ? relativePath : relativePath.split(sep).join('/')}\u0000`);
  const parts = rollback === undefined ? [prefix, content] : [prefix, content, Buffer.from('\u0000rollback\u0000'), rollback];
  // The one-shot `crypto.hash` (Node ≥ 20.12) costs a fraction of a `createHash` object per file.
  if (typeof crypto.hash === 'function') return crypto.hash('sha256', Buffer.concat(parts), 'hex').slice(0, 16);
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Imports the files concurrently (module loading overlaps its file reads and compilation) and
 * returns their change units in file order. The first file in order that fails is reported.
 * `onFileWithoutUnits` hears of each file that exports none (a plain object without
 * `defineChangeUnit`, say).
 */
export async function importUnitFiles(files: readonly UnitFile[], onFileWithoutUnits?: (file: string) => void): Promise<LocatedSource[]> {
  const settled = await Promise.allSettled(files.map((file) => importModuleFile(file.path)));
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return settled.flatMap((outcome, i) => {
    const { path, digest } = files[i]!;
    const namespace = (outcome as PromiseFulfilledResult<Record<string, unknown>>).value;
    const sources = changeUnitsOfModule(namespace);
    if (sources.length === 0) onFileWithoutUnits?.(path);
    return sources.map((source) => ({ source, file: path, digest }));
  });
}

/**
 * Loads every change unit under the given folders, naming the file of each. `onFileWithoutUnits`
 * hears of each file that exports none.
 */
export async function loadScanPaths(paths: readonly string[], onFileWithoutUnits?: (file: string) => void, salt = ''): Promise<LocatedSource[]> {
  return importUnitFiles(await listUnitFiles(paths, salt), onFileWithoutUnits);
}
