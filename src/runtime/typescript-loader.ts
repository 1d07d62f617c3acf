import { pathToFileURL } from 'node:url';

/**
 * TypeScript modules (change units, `mongock.config.ts`) with no setup, loaded only when one is
 * met: a JavaScript project never loads (nor needs to install) a TypeScript loader.
 *
 * 1. Node's own type stripping, where the running Node has it (`process.features.typescript`,
 *    Node 22.18+ / 23.6+); it cannot compile decorators or `enum`s, so such files go on to 2.
 * 2. tsx (an optional peer dependency), registered once for the whole process rather than in a
 *    namespace of its own: a namespaced import would give the module its own copy of every
 *    package it imports, `mongock` included, and the running copy would not recognise its units'
 *    or its config's objects. Registered this way, `import 'mongock'` in a TypeScript config or
 *    unit resolves to the copy that is running (CommonJS ones get the CommonJS build, which the
 *    error brand and the global decorator registry make safe).
 */

/** Thrown (as its `code`) when a TypeScript file is met and nothing can load it. */
export const TYPESCRIPT_LOADER_MISSING = 'MONGOCK_TYPESCRIPT_LOADER_MISSING';

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

/** One registration per process, whichever copy of the package asks (a registered symbol). */
const REGISTERED = Symbol.for('mongock.tsx-registered');
const processWide = globalThis as { [REGISTERED]?: Promise<void> };

/** Syntax that Node's type stripping refuses, which tsx compiles. */
const NEEDS_COMPILER = new Set(['ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX', 'ERR_INVALID_TYPESCRIPT_SYNTAX', 'ERR_UNKNOWN_FILE_EXTENSION']);

function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

async function registerTsx(): Promise<void> {
  processWide[REGISTERED] ??= (async () => {
    let esm: Record<string, unknown>;
    let cjs: Record<string, unknown>;
    try {
      [esm, cjs] = await Promise.all([nativeImport('tsx/esm/api'), nativeImport('tsx/cjs/api')]);
    } catch (cause) {
      const error = new Error(
        'Loading TypeScript needs tsx (or a Node.js with type stripping, 22.18+, for files without decorators): npm install --save-dev tsx',
        { cause },
      );
      (error as { code?: string }).code = TYPESCRIPT_LOADER_MISSING;
      throw error;
    }
    (esm.register as () => unknown)();
    (cjs.register as () => unknown)();
  })().catch((error: unknown) => {
    processWide[REGISTERED] = undefined;
    throw error;
  });
  return processWide[REGISTERED];
}

/** Imports a `.ts`/`.mts`/`.cts` file: Node's type stripping when it can, else tsx. */
export async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (processWide[REGISTERED] === undefined && nodeStripsTypes()) {
    try {
      return await nativeImport(url);
    } catch (error) {
      if (!NEEDS_COMPILER.has((error as { code?: string } | null)?.code ?? '')) throw error;
    }
  }
  await registerTsx();
  // A fresh URL: a failed load may stay cached under the first one.
  return nativeImport(processWide[REGISTERED] !== undefined && nodeStripsTypes() ? `${url}?compiled` : url);
}
