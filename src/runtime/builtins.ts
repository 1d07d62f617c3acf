import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Node built-ins needed only on some paths, loaded on first use: a start-up with nothing pending
 * never pays for `os`, and for `crypto` and `fs` only to list and digest scan-path files (see
 * docs/performance.md).
 */
export const builtins = Object.freeze({
  crypto: (): typeof import('node:crypto') => require('node:crypto'),
  os: (): typeof import('node:os') => require('node:os'),
  fs: (): typeof import('node:fs/promises') => require('node:fs/promises'),
  fsSync: (): typeof import('node:fs') => require('node:fs'),
});
