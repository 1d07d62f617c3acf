import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Node built-ins needed only on some paths, loaded on first use: a start-up with nothing pending
 * never pays for `crypto`, `os` or `fs` (see bench/RESULTS.md).
 */
export const builtins = Object.freeze({
  crypto: (): typeof import('node:crypto') => require('node:crypto'),
  os: (): typeof import('node:os') => require('node:os'),
  fs: (): typeof import('node:fs/promises') => require('node:fs/promises'),
});
