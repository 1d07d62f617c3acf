#!/usr/bin/env node
// Run by tsup's onSuccess (tsup.config.ts), after the ES module build: merges the shared chunks
// that esbuild's code splitting leaves behind into one module, so that `import 'mongock'` and
// `import 'mongock/sqlite'` load 3 files instead of 22. Each module costs Node's ESM loader a
// resolution, a read and a link of its own: importing the package and one driver took 22 ms as 22
// modules and 13 ms as one (docs/performance.md). One module keeps one copy of every class, so
// `instanceof MongockError` still holds across subpaths.
//
// What is merged: every chunk a library entry (the core and the drivers) imports statically. The
// chunks reached only through `import()` (the apply path, the lock manager) stay apart, so a
// start-up with nothing pending still does not load them. Source maps are carried through.
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const STAGING = join(dist, '.merged');
/** The entries whose static imports go into the one shared module. */
const LIBRARY_ENTRIES = ['index', 'sqlite', 'mongodb', 'postgres', 'mysql', 'driver'];
const CORE = 'mongock-core';

const entries = readdirSync(dist).filter((file) => file.endsWith('.js') && !file.startsWith('chunk-') && !/-[A-Z0-9]{8}\.js$/.test(file));
const staticImports = (file) =>
  [...readFileSync(join(dist, file), 'utf8').matchAll(/^(?:import|export)\b[^;]*?from\s*"\.\/([^"]+)"|^import\s*"\.\/([^"]+)"/gm)].map((m) => m[1] ?? m[2]);

const merged = new Set();
const visit = (file) => {
  for (const imported of staticImports(file)) {
    if (merged.has(imported)) continue;
    merged.add(imported);
    visit(imported);
  }
};
for (const entry of LIBRARY_ENTRIES) if (existsSync(join(dist, `${entry}.js`))) visit(`${entry}.js`);

const bundle = await rollup({
  input: Object.fromEntries(entries.map((file) => [file.slice(0, -'.js'.length), join(dist, file)])),
  // Only dist's own files are bundled; packages and built-ins stay imports.
  external: (id, importer) => importer !== undefined && !id.startsWith('.') && !id.startsWith(dist),
  // Every module keeps its top-level code where it ran: nothing is assumed free of side effects.
  treeshake: false,
  plugins: [
    {
      name: 'carry-source-maps',
      load(id) {
        const map = `${id}.map`;
        const code = readFileSync(id, 'utf8');
        return existsSync(map) ? { code, map: readFileSync(map, 'utf8') } : code;
      },
    },
  ],
  onwarn(warning, warn) {
    if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
  },
});
rmSync(STAGING, { recursive: true, force: true });
await bundle.write({
  dir: STAGING,
  format: 'es',
  sourcemap: true,
  // The maps are written in the staging folder and moved to dist: sources relative to dist, with
  // '/' (a map's sources are URLs; `relative` gives '\\' on Windows).
  sourcemapPathTransform: (source, map) =>
    relative(dist, resolve(dirname(map), source))
      .split(sep)
      .join('/'),
  entryFileNames: '[name].js',
  chunkFileNames: '[name].js',
  manualChunks: (id) => (merged.has(id.slice(dist.length + 1)) ? CORE : undefined),
});
await bundle.close();

for (const file of readdirSync(dist)) if (/\.js(\.map)?$/.test(file)) rmSync(join(dist, file));
for (const file of readdirSync(STAGING)) renameSync(join(STAGING, file), join(dist, file));
rmSync(STAGING, { recursive: true, force: true });
// Rollup writes every file 0644; tsup had made the ones starting with a shebang (the CLI, the
// package's `bin`) executable, and a copy of dist/ run as ./dist/cli.js needs that bit.
for (const file of readdirSync(dist)) if (file.endsWith('.js') && readFileSync(join(dist, file), 'utf8').startsWith('#!')) chmodSync(join(dist, file), 0o755);
