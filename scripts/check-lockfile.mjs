#!/usr/bin/env node
// A cheap stand-in for what `npm ci` checks (it takes minutes; this takes milliseconds): the
// lockfile's root entry declares exactly package.json's dependencies, and every dependency of every
// locked package — optional ones included, which is where other platforms' binaries (biome, esbuild,
// rollup) live — resolves to a locked package. An `npm install` over an existing node_modules can
// write a lockfile without those, and `npm ci` on any other machine then refuses it.
// How to change dependencies without breaking it: README, "Developing".
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
const FIX = 'regenerate it: rm -rf node_modules package-lock.json && npm install --package-lock-only --ignore-scripts && npm ci';

/** Every problem that would make `npm ci` refuse (or install less than) this lockfile; empty when none. */
export function lockfileProblems(pkg, lock) {
  if (typeof lock !== 'object' || lock === null || typeof lock.packages !== 'object')
    return ['package-lock.json has no "packages" map (lockfileVersion 2 or later is needed)'];
  const problems = [];
  const root = lock.packages[''] ?? {};
  for (const field of DEPENDENCY_FIELDS) {
    const declared = pkg[field] ?? {};
    const locked = root[field] ?? {};
    for (const name of new Set([...Object.keys(declared), ...Object.keys(locked)])) {
      if (declared[name] !== locked[name])
        problems.push(`${field}.${name}: package.json says ${declared[name] ?? '(nothing)'}, package-lock.json says ${locked[name] ?? '(nothing)'}`);
    }
  }
  for (const [path, entry] of Object.entries(lock.packages)) {
    const wanted =
      path === '' ? { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies } : { ...entry.dependencies, ...entry.optionalDependencies };
    for (const name of Object.keys(wanted)) {
      if (resolve(lock.packages, path, name) === undefined) problems.push(`${path || 'the project'} needs ${name}, which is not in package-lock.json`);
    }
  }
  return problems;
}

/** Node's lookup, over lockfile paths: `a/node_modules/b` needing `c` tries `a/node_modules/b/node_modules/c`, then upward. */
function resolve(packages, from, name) {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const read = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'));
  const problems = lockfileProblems(read('package.json'), read('package-lock.json'));
  if (problems.length > 0) {
    console.error(`package-lock.json would not pass \`npm ci\`:\n${problems.map((p) => `  - ${p}`).join('\n')}\nTo fix, ${FIX}`);
    process.exit(1);
  }
}
