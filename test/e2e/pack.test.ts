import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/processes.ts';

interface Pack {
  files: { path: string; mode: number }[];
}

const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
const packed = (): Pack['files'] => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: projectRoot, encoding: 'utf8' });
  return (JSON.parse(out) as Pack[])[0]!.files;
};

describe('the tarball npm delivers (npm pack --dry-run --json)', () => {
  const entries = packed();
  const files = new Set(entries.map((file) => file.path));

  it('the binary is executable in the tarball and runs as ./dist/cli.js (its shebang)', () => {
    expect((entries.find((file) => file.path === 'dist/cli.js')?.mode ?? 0) & 0o111).toBe(0o111);
    expect(execFileSync(join(projectRoot, 'dist', 'cli.js'), ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });

  it('holds every entry point, the binary, the docs, the examples, README and LICENSE', () => {
    const must = ['package.json', 'README.md', 'LICENSE', 'dist/cli.js', 'docs/cli.md', 'docs/nestjs.md', 'examples/sqlite/main.mjs'];
    for (const entry of ['index', 'sqlite', 'mongodb', 'postgres', 'mysql', 'nestjs', 'testkit'])
      must.push(`dist/${entry}.js`, `dist/${entry}.cjs`, `dist/${entry}.d.ts`, `dist/${entry}.d.cts`);
    expect(must.filter((file) => !files.has(file))).toEqual([]);
    expect(readFileSync(join(projectRoot, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0');
    expect(pkg.license).toBe('Apache-2.0');
    expect((pkg.bin as Record<string, string>).mongock).toBe('./dist/cli.js');
  });

  it('holds nothing that nothing uses: no CommonJS CLI, no sources, tests, benchmarks or databases', () => {
    const mustNot = [...files].filter((file) => /^(src|test|bench|scripts|\.ci)\//.test(file) || /^dist\/cli\.(cjs|d\.)/.test(file) || file.endsWith('.db'));
    expect(mustNot).toEqual([]);
  });

  it('every relative link in README.md and docs/*.md points at a file in the tarball', () => {
    const broken: string[] = [];
    for (const doc of [...files].filter((file) => file === 'README.md' || /^docs\/.*\.md$/.test(file))) {
      const base = doc.includes('/') ? doc.slice(0, doc.lastIndexOf('/') + 1) : '';
      for (const [, target] of readFileSync(join(projectRoot, doc), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const path = join(base, target!).replace(/\/$/, '');
        if (![...files].some((file) => file === path || file.startsWith(`${path}/`))) broken.push(`${doc} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('declares what the registry page and bundlers read, and no web address that nothing confirms', () => {
    expect(pkg).toMatchObject({ sideEffects: false });
    // The project's public repository address is not known yet: no guessed repository/homepage/bugs
    // URL, and README links only to files in the tarball or to third parties' pages.
    expect([pkg.repository, pkg.homepage, pkg.bugs]).toEqual([undefined, undefined, undefined]);
    expect(readFileSync(join(projectRoot, 'README.md'), 'utf8')).not.toMatch(/github\.com\/mongock\/mongock-typescript/);
    expect((pkg.keywords as string[]).length).toBeGreaterThan(5);
  });

  it('a JavaScript-only install pulls neither tsx nor esbuild: tsx is an optional peer, and no dependency reaches either', () => {
    expect((pkg.dependencies as Record<string, string>).tsx).toBeUndefined();
    expect((pkg.peerDependencies as Record<string, string>).tsx).toBeDefined();
    expect((pkg.peerDependenciesMeta as Record<string, { optional?: boolean }>).tsx).toEqual({ optional: true });
    // What `npm install mongock` installs: the dependencies (and their required peers), transitively,
    // as the lockfile resolved them. npm installs no optional peer by default.
    const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<
        string,
        {
          dependencies?: Record<string, string>;
          optionalDependencies?: Record<string, string>;
          peerDependencies?: Record<string, string>;
          peerDependenciesMeta?: Record<string, { optional?: boolean }>;
        }
      >;
    };
    const installed = new Set<string>();
    const visit = (names: readonly string[]) => {
      for (const name of names) {
        if (installed.has(name)) continue;
        installed.add(name);
        const entry = lock.packages[`node_modules/${name}`];
        expect(entry, `${name} is in package-lock.json`).toBeDefined();
        const peers = Object.keys(entry!.peerDependencies ?? {}).filter((peer) => entry!.peerDependenciesMeta?.[peer]?.optional !== true);
        visit([...Object.keys(entry!.dependencies ?? {}), ...Object.keys(entry!.optionalDependencies ?? {}), ...peers]);
      }
    };
    visit(Object.keys(pkg.dependencies as Record<string, string>));
    expect(installed.size).toBeGreaterThan(0);
    expect([...installed].filter((name) => /^(tsx|esbuild|@esbuild\/.*)$/.test(name))).toEqual([]);
  });

  it('source maps carry their sources, since src/ is not shipped', () => {
    // Every ES module's map: since they are merged (scripts/merge-chunks.mjs), dist/index.js only
    // re-exports and its map has no source at all; the code is in mongock-core.js.
    const maps = [...files].filter((file) => /^dist\/.*\.js\.map$/.test(file));
    expect(maps).toContain('dist/mongock-core.js.map');
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(projectRoot, file), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      expect(
        map.sourcesContent?.every((text) => typeof text === 'string' && text.length > 0),
        file,
      ).toBe(true);
      // Relative to dist/, with '/' (a URL path, also when built on Windows).
      expect(
        map.sources.filter((source) => !source.startsWith('../src/')),
        file,
      ).toEqual([]);
    }
    const core = JSON.parse(readFileSync(join(projectRoot, 'dist', 'mongock-core.js.map'), 'utf8')) as { sources: string[] };
    expect(core.sources).toContain('../src/runner/mongock-builder.ts');
  });
});
