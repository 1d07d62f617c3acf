import { pathToFileURL } from 'node:url';

/**
 * TypeScript modules (change units, `mongock.config.ts`) with no setup, loaded only when one is
 * met: a JavaScript project never loads (nor needs to install) a TypeScript loader.
 *
 * 1. Node's own type stripping, where the running Node has it ({@link typeStripping}); it cannot
 *    compile decorators or `enum`s, so such files go on to 2.
 * 2. tsx (an optional peer dependency), registered once for the whole process rather than in a
 *    namespace of its own: a namespaced import would give the module its own copy of every
 *    package it imports, `mongock` included, and the running copy would not recognise its units'
 *    or its config's objects. Registered this way, `import 'mongock'` in a TypeScript config or
 *    unit resolves to the copy that is running (CommonJS ones get the CommonJS build, which the
 *    error brand and the global decorator registry make safe).
 *
 * Neither available: an error with the code {@link TYPESCRIPT_LOADER_MISSING} that names the file
 * and says `npm install -D tsx`.
 */

/** The `code` of the error thrown when a TypeScript file is met and nothing can load it. */
export const TYPESCRIPT_LOADER_MISSING = 'TYPESCRIPT_LOADER_MISSING';

export const TYPESCRIPT_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.mts', '.cts']);

// The CommonJS build turns a literal `import()` into `require()`, which cannot load ES modules;
// an `import()` compiled at run time stays real. Sandboxes without a dynamic-import hook for such
// code (vitest's VM) get the literal instead.
const importAtRuntime = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/** `import()` that stays an `import()` in both builds. */
export async function nativeImport(specifier: string): Promise<Record<string, unknown>> {
  try {
    return await importAtRuntime(specifier);
  } catch (error) {
    if ((error as { code?: string } | null)?.code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw error;
    return import(specifier);
  }
}

/** What {@link typeStripping} reads of the running Node (a parameter, so that every case is testable on any Node). */
export interface NodeRuntimeFacts {
  /** `process.features.typescript`: `'strip'`/`'transform'`, `false`, or absent before Node 22.10. */
  readonly typescript?: unknown;
  readonly execArgv: readonly string[];
  readonly nodeOptions: string | undefined;
}

const STRIP_FLAGS = ['--experimental-strip-types', '--experimental-transform-types'];

/**
 * Whether the running Node strips TypeScript types itself. Decided by feature, not version:
 * `process.features.typescript` where Node reports it (22.10+; `false` when turned off with
 * `--no-experimental-strip-types`); before that (22.6–22.9) only the flag turns it on, so the
 * flag on the command line or in `NODE_OPTIONS` is the feature. Node 20 has neither.
 */
export function typeStripping(facts: NodeRuntimeFacts = runningNode()): boolean {
  if (facts.typescript !== undefined) return facts.typescript === 'strip' || facts.typescript === 'transform';
  const flags = [...facts.execArgv, ...(facts.nodeOptions ?? '').split(/\s+/)];
  return flags.some((flag) => STRIP_FLAGS.includes(flag.split('=')[0]!));
}

function runningNode(): NodeRuntimeFacts {
  return {
    typescript: (process.features as { typescript?: unknown }).typescript,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
  };
}

/** One registration per process, whichever copy of the package asks (a registered symbol). */
const REGISTERED = Symbol.for('mongock.tsx-registered');
const processWide = globalThis as { [REGISTERED]?: Promise<void> };

/** Syntax that Node's type stripping refuses, which tsx compiles (a real syntax error, tsx reports too). */
const NEEDS_COMPILER = new Set(['ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX', 'ERR_INVALID_TYPESCRIPT_SYNTAX', 'ERR_UNKNOWN_FILE_EXTENSION', 'SyntaxError']);

/** tsx is looked up only once a file needs it; `why` says why Node could not load that file itself. */
async function registerTsx(file: string, why: string): Promise<void> {
  processWide[REGISTERED] ??= (async () => {
    let esm: Record<string, unknown>;
    let cjs: Record<string, unknown>;
    try {
      [esm, cjs] = await Promise.all([nativeImport('tsx/esm/api'), nativeImport('tsx/cjs/api')]);
    } catch (cause) {
      throw loaderMissing(file, why, cause);
    }
    (esm.register as () => unknown)();
    (cjs.register as () => unknown)();
  })().catch((error: unknown) => {
    processWide[REGISTERED] = undefined;
    throw error;
  });
  return processWide[REGISTERED];
}

function loaderMissing(file: string, why: string, cause: unknown): Error {
  const error = new Error(
    `Cannot load the TypeScript file ${file}: tsx is not installed and ${why}. Install it in the project: npm install -D tsx (or write the file in JavaScript).`,
    { cause },
  );
  Object.assign(error, { code: TYPESCRIPT_LOADER_MISSING, file });
  return error;
}

/** Imports a `.ts`/`.mts`/`.cts` file: Node's type stripping when it can, else tsx. */
export async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  const stripping = typeStripping();
  let why = `this Node.js (${process.version}) has no type stripping (Node 22.6+ with --experimental-strip-types, 23.6+ by default)`;
  if (processWide[REGISTERED] === undefined && stripping) {
    try {
      return await nativeImport(url);
    } catch (error) {
      // Decorators are no JavaScript syntax yet: stripped, they are a plain SyntaxError.
      const code = (error as { code?: string } | null)?.code ?? (error instanceof SyntaxError ? 'SyntaxError' : '');
      if (!NEEDS_COMPILER.has(code)) throw error;
      why = `Node's type stripping cannot run it (${code}: ${(error as Error).message}; decorators, enums and parameter properties need a compiler)`;
    }
  }
  await registerTsx(file, why);
  // A fresh URL: a failed load may stay cached under the first one.
  return nativeImport(processWide[REGISTERED] !== undefined && stripping ? `${url}?compiled` : url);
}
