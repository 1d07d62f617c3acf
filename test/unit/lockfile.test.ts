import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { lockfileProblems } from '../../scripts/check-lockfile.mjs';
import { projectRoot } from '../support/processes.ts';

type Json = Record<string, unknown>;
const read = (file: string): Json => JSON.parse(readFileSync(join(projectRoot, file), 'utf8')) as Json;
const problems = (pkg: Json, lock: Json): string[] => lockfileProblems(pkg, lock) as string[];

describe('package-lock.json is one that `npm ci` accepts', () => {
  const pkg = read('package.json');
  const lock = read('package-lock.json');

  it('matches package.json and locks every optional package of every platform', () => {
    expect(problems(pkg, lock)).toEqual([]);
  });

  it('names a platform binary that an `npm install` over node_modules left out', () => {
    const packages = { ...(lock.packages as Record<string, unknown>) };
    const platform = Object.keys(packages).find((path) => path.startsWith('node_modules/@biomejs/cli-darwin'));
    expect(platform).toBeDefined();
    delete packages[platform!];
    expect(problems(pkg, { ...lock, packages })).toEqual([
      `node_modules/@biomejs/biome needs ${platform!.slice('node_modules/'.length)}, which is not in package-lock.json`,
    ]);
  });

  it('names a dependency that package.json declares and the lockfile does not', () => {
    const changed = { ...pkg, devDependencies: { ...(pkg.devDependencies as Json), 'left-pad': '^1.3.0' } };
    expect(problems(changed, lock)).toContain('devDependencies.left-pad: package.json says ^1.3.0, package-lock.json says (nothing)');
  });

  it('.ci/run installs with `npm ci` and the test command checks the lockfile first', () => {
    expect(readFileSync(join(projectRoot, '.ci', 'run'), 'utf8')).toMatch(/^npm ci\b/m);
    expect(readFileSync(join(projectRoot, 'scripts', 'test.mjs'), 'utf8')).toContain("run('node', ['scripts/check-lockfile.mjs'])");
  });
});
