import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/processes.ts';

/** Every public subpath, with one export that proves it loaded. */
const SUBPATHS: Record<string, string> = {
  mongock: 'MongockBuilder',
  'mongock/sqlite': 'sqliteDriver',
  'mongock/mongodb': 'mongoDriver',
  'mongock/postgres': 'postgresDriver',
  'mongock/mysql': 'mysqlDriver',
  'mongock/nestjs': 'MongockModule',
  'mongock/dashboard': 'createDashboardHandler',
  'mongock/driver': 'memoryDriver',
};

const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });

describe('the built package from ESM and CommonJS', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  }, 180_000);

  it('package.json exports, typesVersions and the tsup entries name the same subpaths, each tested here', async () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      typesVersions: { '*': Record<string, string[]> };
    };
    const { default: tsup } = (await import('../../tsup.config.ts')) as { default: { entry: Record<string, string> } };
    const exported = Object.keys(pkg.exports)
      .filter((key) => key !== '.' && key !== './package.json')
      .map((key) => key.slice(2))
      .sort();
    expect(Object.keys(pkg.typesVersions['*']).sort()).toEqual(exported);
    expect(
      Object.keys(tsup.entry)
        .filter((entry) => entry !== 'index' && entry !== 'cli')
        .sort(),
    ).toEqual(exported);
    // The testkit needs vitest to load, so it is proven by the driver suites that use it.
    expect(
      Object.keys(SUBPATHS)
        .filter((subpath) => subpath !== 'mongock')
        .map((subpath) => subpath.slice('mongock/'.length))
        .sort(),
    ).toEqual(exported.filter((entry) => entry !== 'testkit'));
  });

  for (const [subpath, name] of Object.entries(SUBPATHS)) {
    it(`imports ${subpath} with import and with require`, () => {
      expect(node(['--input-type=module', '-e', `import * as m from '${subpath}'; console.log(typeof m.${name})`]).trim()).toBe('function');
      expect(node(['-e', `console.log(typeof require('${subpath}').${name})`]).trim()).toBe('function');
    });
  }

  it("a start-up with nothing pending loads three of the package's ES modules: the entry, the driver and one shared core", () => {
    // Each module costs the ESM loader a resolution, a read and a link (scripts/merge-chunks.mjs):
    // the shared chunks are one module, and the apply path stays behind its import().
    const dir = mkdtempSync(join(tmpdir(), 'mongock-modules-'));
    try {
      const log = join(dir, 'loaded.txt');
      const hooks = join(dir, 'hooks.mjs');
      writeFileSync(
        hooks,
        `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.includes('/dist/')) appendFileSync(${JSON.stringify(log)}, url.slice(url.lastIndexOf('/') + 1) + '\\n');\n  return next(url, context);\n}\n`,
      );
      const register = `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
      const run = `
        import { MongockBuilder, silentLogger } from 'mongock';
        import { sqliteDriver } from 'mongock/sqlite';
        const driver = sqliteDriver({ filename: ${JSON.stringify(join(dir, 'startup.db'))} });
        const result = await new MongockBuilder().setDriver(driver).addMigrationScanPath('examples/sqlite/migrations').setLogger(silentLogger).buildRunner().execute();
        console.log(result.status);`;
      // The first process applies the examples (and loads the apply path); the second starts up on what it left.
      expect(node(['--input-type=module', '-e', run]).trim()).toBe('completed');
      expect(node(['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', run]).trim()).toBe('up-to-date');
      const loaded = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line.endsWith('.js'));
      expect(loaded.sort()).toEqual(['index.js', 'mongock-core.js', 'sqlite.js']);
      // And of Node's built-ins only `module` by a static import: a static import of `fs` or `path` builds an ES
      // module facade of it at link time (~2 ms for `fs`), so the core loads them through runtime/builtins.ts.
      const builtinImports = loaded.flatMap((file) =>
        [...readFileSync(join(projectRoot, 'dist', file), 'utf8').matchAll(/^import\b[^;]*?from\s*['"]((?:node:)?[a-z_/]+)['"]/gm)].map((m) => m[1]),
      );
      expect(builtinImports.filter((id) => id !== 'better-sqlite3')).toEqual(['module']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('migrating from CommonJS with TypeScript and ESM change units', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mongock-cjs-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('loads the example migrations through require("mongock")', () => {
      const script = `
        const { MongockBuilder, silentLogger } = require('mongock');
        const { sqliteDriver } = require('mongock/sqlite');
        new MongockBuilder().setDriver(sqliteDriver({ filename: ${JSON.stringify(join(dir, 'cjs.db'))} }))
          .addMigrationScanPath('examples/sqlite/migrations').setLogger(silentLogger).buildRunner().execute()
          .then((r) => console.log(JSON.stringify(r.items.map((i) => i.changeId))), (e) => { console.error(e); process.exit(1); });`;
      expect(JSON.parse(node(['-e', script]))).toEqual(['create-clients_before', 'create-clients', 'index-client-names', 'activate-clients']);
    });
  });
});
