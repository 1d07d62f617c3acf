import { errorMessage, MongockError } from '../errors/mongock-error.ts';
import { builtins } from '../runtime/builtins.ts';
import { DECLARED_EXTENSIONS, isDeclaredUnitFile, ROLLBACK_SUFFIX } from './declared-files.ts';

// Not `import … from 'node:path'`: its module facade costs every start-up (runtime/builtins.ts).
const { relative, resolve, sep } = builtins.path();

/** The files a scan path loads: modules, and declared units (`.sql`...). `.d.ts` and `*.rollback.sql` files are skipped. */
export const SCANNED_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', ...DECLARED_EXTENSIONS]);
const MODULE_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const DECLARATION = /\.d\.[cm]?ts$/;
/** Where a file is read before it is digested; it grows for a larger file and is reused for the next. */
const INITIAL_BUFFER_BYTES = 64 * 1024;

/** A module file of a scan path, with the digest that identifies its text (see `FileDigester`). */
export interface UnitFile {
  readonly path: string;
  readonly digest: string;
}

/**
 * Every module file under `dir`, recursively, sorted so that loading is deterministic. Listed
 * synchronously: one folder's entries come in one call, and `fs/promises` is not loaded at
 * start-up for it.
 */
export function listModuleFiles(dir: string): string[] {
  const root = resolve(dir);
  const { readdirSync, statSync } = builtins.fsSync();
  let isFile: boolean;
  try {
    isFile = statSync(root).isFile();
  } catch (cause) {
    throw new MongockError('INVALID_CONFIG', `Migration scan path '${dir}' (resolved to ${root}) does not exist or cannot be read. Fix migrationScanPath.`, {
      file: root,
      cause,
    });
  }
  if (isFile) return [root];
  const files: string[] = [];
  const walk = (folder: string): void => {
    // `folder` is resolved: a plain concatenation is the join, without normalising 1,000 paths.
    const prefix = folder.endsWith(sep) ? folder : `${folder}${sep}`;
    const entries = readdirSync(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = entry.name;
      if (entry.isDirectory()) {
        if (name !== 'node_modules' && !name.startsWith('.')) walk(prefix + name);
      } else if (isListed(name)) {
        files.push(prefix + name);
      }
    }
  };
  walk(root);
  return files;
}

/**
 * Whether a file of that name is a unit file: a module (not a `.d.ts`) or a declared unit (not a
 * `*.rollback.sql`). One extension lookup per name: this runs for every file of a scan path at
 * every start-up, before anything is warm.
 */
function isListed(name: string): boolean {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return false;
  return MODULE_EXTENSIONS.includes(name.slice(dot)) ? !DECLARATION.test(name) : isDeclaredUnitFile(name);
}

/**
 * Every module file under the given folders, each read and digested but not imported: a start-up
 * with nothing pending compares the digests with the history and imports nothing that is applied.
 * `salt` is what else decides a unit's history key (the default author).
 *
 * The folders are listed at once (a missing scan path fails here, before anything connects); the
 * files are digested in slices, each after a turn of the event loop, so that a connection opened
 * meanwhile makes progress between slices: the reads fill the time its round trips leave idle.
 */
export function listUnitFiles(paths: readonly string[], salt: string): Promise<UnitFile[]> {
  const listed = paths.flatMap((path) => {
    const root = resolve(path);
    return listModuleFiles(path).map((file) => ({ root, file }));
  });
  return digestInSlices(listed, salt);
}

/** How many files one slice digests between two turns of the event loop (~1 ms of reads). */
const FILES_PER_SLICE = 64;

async function digestInSlices(listed: readonly { root: string; file: string }[], salt: string): Promise<UnitFile[]> {
  const files: UnitFile[] = [];
  const digester = new FileDigester();
  for (let start = 0; start < listed.length; start += FILES_PER_SLICE) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const { root, file } of listed.slice(start, start + FILES_PER_SLICE)) {
      // A `.sql` unit's sibling `*.rollback.sql` is part of the unit: it counts in the digest.
      const sibling = file.endsWith('.sql') ? `${file.slice(0, -'.sql'.length)}${ROLLBACK_SUFFIX}` : undefined;
      files.push({ path: file, digest: digestOrThrow(digester, salt, root, file, sibling) });
    }
  }
  return files;
}

function digestOrThrow(digester: FileDigester, salt: string, root: string, file: string, sibling: string | undefined): string {
  try {
    return digester.digest(salt, relativeTo(root, file), file, sibling);
  } catch (cause) {
    throw new MongockError(
      'MODULE_LOAD_FAILED',
      `Could not read change unit file ${file}: ${errorMessage(cause)}. Fix the file (or its permissions) or move it out of the scan path.`,
      { file, cause },
    );
  }
}

/** `relative(root, file)` for a file listed under `root`, without resolving both again. */
function relativeTo(root: string, file: string): string {
  return file.startsWith(root) && file[root.length] === sep ? file.slice(root.length + 1) : relative(root, file);
}

const ROLLBACK_SEPARATOR = '\u0000rollback\u0000';

function digestPrefix(salt: string, relativePath: string): string {
  return `${salt}\u0000${sep === '/' ? relativePath : relativePath.split(sep).join('/')}\u0000`;
}

function sha256Prefix(bytes: Uint8Array): string {
  const crypto = builtins.crypto();
  // The one-shot `crypto.hash` (Node ≥ 20.12) costs a fraction of a `createHash` object per file.
  if (typeof crypto.hash === 'function') return crypto.hash('sha256', bytes, 'hex').slice(0, 16);
  return crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/**
 * A file's digest: 16 hex digits of SHA-256 over the salt, the path relative to its scan path
 * (with `/`), NUL-separated, and the file's bytes (for a `.sql` unit, then `\0rollback\0` and its
 * sibling `*.rollback.sql`): moving or editing a file, or changing the default author, gives
 * another digest. Files are read straight into one reused buffer after the prefix: no buffer per
 * file, no concatenation, no `fstat` (reads until one returns 0 bytes).
 */
class FileDigester {
  readonly #fs = builtins.fsSync();
  #buffer = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  #length = 0;

  digest(salt: string, relativePath: string, file: string, rollbackFile: string | undefined): string {
    this.#length = 0;
    this.#append(digestPrefix(salt, relativePath));
    this.#read(file);
    if (rollbackFile !== undefined && this.#fs.existsSync(rollbackFile)) {
      this.#append(ROLLBACK_SEPARATOR);
      this.#read(rollbackFile);
    }
    return sha256Prefix(this.#buffer.subarray(0, this.#length));
  }

  #append(text: string): void {
    // At most 3 bytes of UTF-8 per UTF-16 unit: room without measuring the text first.
    this.#reserve(text.length * 3);
    this.#length += this.#buffer.write(text, this.#length);
  }

  #read(file: string): void {
    const { openSync, readSync, closeSync } = this.#fs;
    // The numeric flag: `'r'` is parsed again on every call.
    const fd = openSync(file, this.#fs.constants.O_RDONLY);
    try {
      for (;;) {
        this.#reserve(1);
        const read = readSync(fd, this.#buffer, this.#length, this.#buffer.length - this.#length, null);
        // Until a read of 0 bytes, not the first short one: a file system may return short reads
        // early (some FUSE or network ones), and a digest of what came would hide an edit past it.
        if (read === 0) return;
        this.#length += read;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Room for `bytes` more after what is written. */
  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes));
    this.#buffer.copy(larger, 0, 0, this.#length);
    this.#buffer = larger;
  }
}
