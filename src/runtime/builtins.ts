import { createRequire } from 'node:module';

/**
 * `process.getBuiltinModule` (Node ≥ 20.16): a built-in without the ES module facade that a static
 * `import … from 'node:fs'` builds when the importing module links (every export copied, `fs`'s
 * lazy ones loaded: ~2 ms of every start-up for `fs`, ~0.5 ms for `path`). Older Node: `require`.
 */
const load: (id: string) => unknown =
  (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.bind(process) ?? createRequire(import.meta.url);

/**
 * Node built-ins, loaded on first use and never imported statically by the core: a start-up with
 * nothing pending never pays for `os`, and for `crypto` and `fs` only to list and digest scan-path
 * files (see docs/performance.md).
 */
export const builtins = Object.freeze({
  crypto: () => load('node:crypto') as typeof import('node:crypto'),
  os: () => load('node:os') as typeof import('node:os'),
  fs: () => load('node:fs/promises') as typeof import('node:fs/promises'),
  fsSync: () => load('node:fs') as typeof import('node:fs'),
  path: () => load('node:path') as typeof import('node:path'),
});
