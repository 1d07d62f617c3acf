import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/cli-harness.ts';
import { projectRoot } from '../support/processes.ts';

// What a new user meets (issue 9, "Done means"): the tarball `npm pack` writes, installed into a
// fresh TypeScript-ESM, CommonJS and NestJS project, `mongock init` + three `mongock create`, the
// migrations run on a fresh database, and everything compiles under `strict`. The package is
// unpacked into each project's node_modules as npm would place it; its dependencies and the
// projects' own (typescript, better-sqlite3, @nestjs/*) are linked from this checkout's
// node_modules, so the test needs no registry and packs once.

// Each project runs a handful of node and tsc processes; on a loaded 2-core machine that is slow.
const TIMEOUT_MS = 240_000;
const work = mkdtempSync(join(tmpdir(), 'mongock-first-contact-'));
const unpacked = join(work, 'package');
// Only what the project itself resolves: a linked package finds its own dependencies from its real path.
// tsx is an optional peer: the TypeScript projects install it, as the README says; the JavaScript one does not.
const LINKED = ['better-sqlite3', 'typescript', '@types/node'];
const TS_LINKED = [...LINKED, 'tsx'];
const NEST = ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'];

beforeAll(() => {
  ensureBuilt();
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: projectRoot, encoding: 'utf8' });
  const tarball = join(work, (JSON.parse(out) as { filename: string }[])[0]!.filename);
  execFileSync('tar', ['xzf', tarball, '-C', work]);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>, links: readonly string[]): string {
  const dir = join(work, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '@nestjs'), { recursive: true });
  cpSync(unpacked, join(dir, 'node_modules', 'mongock'), { recursive: true });
  for (const dep of links) symlinkSync(join(projectRoot, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  return dir;
}

const execFileAsync = promisify(execFile);

// Asynchronous, so that the test worker keeps answering vitest while tsc runs.
async function run(dir: string, command: string, args: readonly string[]): Promise<string> {
  try {
    return (await execFileAsync(command, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 180_000 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${dir}:\n${stdout}\n${stderr}`);
  }
}

/** A command expected to fail: its exit code and its --json document. */
async function mongockFails(dir: string, ...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  try {
    await execFileAsync(process.execPath, [join(dir, 'node_modules', 'mongock', 'dist', 'cli.js'), ...args, '--json'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 180_000,
    });
  } catch (error) {
    const { code, stdout } = error as { code?: number; stdout?: string };
    return { code: code ?? -1, json: JSON.parse(stdout ?? '{}') as Record<string, unknown> };
  }
  throw new Error(`mongock ${args.join(' ')} succeeded in ${dir}; it should have failed`);
}

const mongock = (dir: string, ...args: string[]): Promise<string> =>
  run(dir, process.execPath, [join(dir, 'node_modules', 'mongock', 'dist', 'cli.js'), ...args]);
const tsc = (dir: string, ...args: string[]): Promise<string> => run(dir, process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), ...args]);

/** init, then three units through `mongock create`, as the README's quickstart says. */
async function quickstart(dir: string): Promise<string[]> {
  await mongock(dir, 'init', '--driver', 'sqlite');
  for (const name of ['create-users', 'add-email', 'seed-admin']) await mongock(dir, 'create', name);
  return readdirSync(join(dir, 'migrations'))
    .filter((file) => !file.startsWith('.'))
    .sort();
}

function historyOf(file: string): string[][] {
  const db = new Database(file, { readonly: true });
  try {
    // SQLite keeps the repository names as given (README: table names).
    return (db.prepare('SELECT change_id, state FROM mongockChangeLog ORDER BY rowid').all() as { change_id: string; state: string }[]).map((row) => [
      row.change_id,
      row.state,
    ]);
  } finally {
    db.close();
  }
}

const APPLIED = [
  ['create-users', 'EXECUTED'],
  ['add-email', 'EXECUTED'],
  ['seed-admin', 'EXECUTED'],
];

/**
 * Every ```ts sample of README.md and docs/*.md that is a whole module (it imports mongock), as
 * shipped in the tarball; the application files they import ('./migrations', './settings', ...)
 * are one stand-in module. NestJS samples compile in the NestJS project (legacy decorators).
 */
function writeSamples(dir: string, docs: readonly string[], app?: string): number {
  mkdirSync(join(dir, 'samples'));
  if (app !== undefined) writeFileSync(join(dir, 'samples', 'app.ts'), app);
  const samples = typescriptSamples(docs);
  for (const { name, code } of samples) writeFileSync(join(dir, 'samples', name), `${code.replace(/from '\.\.?\/[a-z/.]+';/g, "from './app';")}\nexport {};\n`);
  return samples.length;
}

function typescriptSamples(docs: readonly string[]): { name: string; code: string }[] {
  const samples: { name: string; code: string }[] = [];
  for (const doc of docs) {
    const text = readFileSync(join(unpacked, doc), 'utf8');
    for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      const code = match[1]!;
      if (!/from 'mongock(\/[a-z]+)?';/.test(code) || /@nestjs\/config|\.\.\.[ ,}]/.test(code)) continue;
      const line = text.slice(0, match.index).split('\n').length;
      samples.push({ name: `${doc.replace(/[/.]/g, '-')}-${line}.ts`, code });
    }
  }
  return samples;
}

// What the NestJS samples import from the application around them.
const NEST_APP = `import { Injectable, Module } from '@nestjs/common';
import { ChangeUnit, defineChangeUnit, Execution, RollbackExecution } from 'mongock';
@Injectable() export class CatalogService { starterProducts(): { slug: string }[] { return []; } }
@Module({ providers: [CatalogService], exports: [CatalogService] }) export class CatalogModule {}
@Injectable() export class AppSettings { readonly databaseFile = 'app.db'; }
@Module({ providers: [AppSettings], exports: [AppSettings] }) export class SettingsModule {}
@ChangeUnit({ id: 'create-products', order: '001' })
export class CreateProducts { @Execution() execute(): void {} @RollbackExecution() rollback(): void {} }
export const indexProductSlugs = defineChangeUnit({ id: 'index-product-slugs', order: '002', execute() {}, rollback() {} });
export const MIGRATIONS = [CreateProducts, indexProductSlugs];
`;
const DOCS = (): string[] => ['README.md', ...readdirSync(join(unpacked, 'docs')).map((file) => `docs/${file}`)];

describe('first contact: the packed tarball in fresh projects', () => {
  it(
    'TypeScript ESM: init, three units by create, migrate on a fresh database, strict compile of the units, the config and the docs samples',
    async () => {
      const dir = project(
        'ts-esm',
        {
          'package.json': JSON.stringify({ name: 'ts-esm', private: true, type: 'module' }),
          'tsconfig.json': JSON.stringify({
            compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', noEmit: true, types: ['node'], allowImportingTsExtensions: true },
            include: ['*.ts', 'migrations', 'samples'],
          }),
        },
        [...TS_LINKED, 'mongodb'],
      );
      expect(await quickstart(dir)).toEqual(['0001_create-users.ts', '0002_add-email.ts', '0003_seed-admin.ts']);
      expect(readFileSync(join(dir, 'migrations', '0001_create-users.ts'), 'utf8')).toContain("import type { SqliteChangeContext } from 'mongock/sqlite';");
      expect(JSON.parse(await mongock(dir, 'migrate', '--json'))).toMatchObject({ ok: true, executed: 3 });
      expect(historyOf(join(dir, 'mongock.db'))).toEqual(APPLIED);

      expect(
        writeSamples(
          dir,
          DOCS().filter((doc) => doc !== 'docs/nestjs.md'),
        ),
      ).toBeGreaterThanOrEqual(8);
      // A factory as Nest/DI users write one: the class it receives can be constructed.
      writeFileSync(
        join(dir, 'factory.ts'),
        "import { MongockBuilder } from 'mongock';\nexport const builder = new MongockBuilder().setChangeUnitFactory((C) => new C());\n",
      );
      await tsc(dir, '-p', '.');
    },
    TIMEOUT_MS,
  );

  it(
    'CommonJS JavaScript without tsx: init writes a .cjs config, create writes .cjs units, migrate applies them; checkJs under strict finds nothing; a .ts file gets the install hint',
    async () => {
      const dir = project('cjs', { 'package.json': JSON.stringify({ name: 'cjs', private: true }) }, LINKED);
      expect(await quickstart(dir)).toEqual(['0001_create-users.cjs', '0002_add-email.cjs', '0003_seed-admin.cjs']);
      expect(JSON.parse(await mongock(dir, 'migrate', '--json'))).toMatchObject({ ok: true, executed: 3 });
      expect(historyOf(join(dir, 'mongock.db'))).toEqual(APPLIED);

      // No TypeScript loader in this project: a TypeScript unit (decorated, which no Node's type
      // stripping runs) or config stops with the stable code, the file and the install command.
      const unit = join(dir, 'migrations', '0004_decorated.ts');
      writeFileSync(
        unit,
        "import { ChangeUnit, Execution } from 'mongock';\n@ChangeUnit({ id: 'decorated', order: '0004' })\nexport class Decorated { @Execution() execute(): void {} }\n",
      );
      const missing = await mongockFails(dir, 'migrate');
      expect(missing.code).toBe(2);
      expect(missing.json.error).toMatchObject({ code: 'TYPESCRIPT_LOADER_MISSING', file: unit, message: expect.stringContaining('npm install -D tsx') });
      expect((missing.json.error as { message: string }).message).toContain(unit);
      rmSync(unit);
      const config = join(dir, 'mongock.config.ts');
      writeFileSync(
        config,
        "import { sqliteDriver } from 'mongock/sqlite';\nenum Kind { A }\nexport default { driver: sqliteDriver({ filename: 'mongock.db' }), migrationScanPath: 'migrations', kind: Kind.A };\n",
      );
      expect((await mongockFails(dir, 'status', '--config', config)).json.error).toMatchObject({ code: 'TYPESCRIPT_LOADER_MISSING', file: config });
      rmSync(config);
      expect(historyOf(join(dir, 'mongock.db'))).toEqual(APPLIED);

      // Checksums recorded without esbuild (tsx's): a re-indented unit is unchanged, with or without tsx installed later.
      const first = join(dir, 'migrations', '0001_create-users.cjs');
      const original = readFileSync(first, 'utf8');
      writeFileSync(first, original.replace(/^ {2}/gm, '    '));
      expect(JSON.parse(await mongock(dir, 'validate', '--db', '--json'))).toMatchObject({ ok: true, checksums: { compared: true, changed: [] } });
      symlinkSync(join(projectRoot, 'node_modules', 'tsx'), join(dir, 'node_modules', 'tsx'), 'dir');
      expect(JSON.parse(await mongock(dir, 'validate', '--db', '--json'))).toMatchObject({ ok: true, checksums: { compared: true, changed: [] } });
      writeFileSync(first, original.replace(/async execute\([^)]*\) \{/, '$& void 0;'));
      const edited = await mongockFails(dir, 'validate', '--db');
      expect(edited.json.checksums).toMatchObject({ changed: [{ changeId: 'create-users' }] });
      writeFileSync(first, original);
      await tsc(
        dir,
        '--allowJs',
        '--checkJs',
        '--strict',
        '--noEmit',
        '--module',
        'commonjs',
        '--target',
        'es2022',
        '--types',
        'node',
        'mongock.config.cjs',
        ...['0001_create-users', '0002_add-email', '0003_seed-admin'].map((unit) => `migrations/${unit}.cjs`),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'NestJS (the Nest CLI’s default tsconfig: CommonJS, node10 resolution): three units by create, compiled strict, run by MongockModule at start-up',
    async () => {
      const dir = project(
        'nestjs',
        {
          'package.json': JSON.stringify({ name: 'nest-app', private: true }),
          'tsconfig.json': JSON.stringify({
            compilerOptions: {
              module: 'commonjs',
              target: 'es2021',
              strict: true,
              experimentalDecorators: true,
              emitDecoratorMetadata: true,
              outDir: './dist',
              rootDir: '.',
              types: ['node'],
            },
            include: ['src', 'migrations', 'samples'],
          }),
          'src/main.ts': `import 'reflect-metadata';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MongockModule } from 'mongock/nestjs';
import { sqliteDriver } from 'mongock/sqlite';

@Module({
  imports: [MongockModule.forRoot({ driver: sqliteDriver({ filename: 'nest.db' }), migrationScanPath: join(__dirname, '..', 'migrations') })],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.close();
}
void main();
`,
        },
        [...TS_LINKED, ...NEST, 'mongodb'],
      );
      expect(await quickstart(dir)).toEqual(['0001_create-users.ts', '0002_add-email.ts', '0003_seed-admin.ts']);
      expect(writeSamples(dir, ['docs/nestjs.md'], NEST_APP)).toBeGreaterThanOrEqual(4);
      await tsc(dir, '-p', '.');
      await run(dir, process.execPath, ['dist/src/main.js']);
      expect(historyOf(join(dir, 'nest.db'))).toEqual(APPLIED);
    },
    TIMEOUT_MS,
  );
});
