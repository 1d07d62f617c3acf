import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import type * as NestCore from '@nestjs/core';
import type * as NestTesting from '@nestjs/testing';
import type * as MongockMongo from '../../../src/drivers/mongodb/index.ts';
import type * as MongockSqlite from '../../../src/drivers/sqlite/index.ts';
import type * as Mongock from '../../../src/index.ts';
import type * as MongockNest from '../../../src/nestjs/index.ts';

export const projectRoot = join(import.meta.dirname, '..', '..', '..');
export const exampleDir = join(projectRoot, 'examples', 'nestjs');
const exampleMain = join(exampleDir, 'dist', 'main.js');

/**
 * Compiles examples/nestjs with tsc (experimentalDecorators + emitDecoratorMetadata, CommonJS),
 * which vitest's esbuild cannot do: Nest's injection by type needs the emitted metadata.
 *
 * The compiled example requires `mongock` and `mongock/nestjs` like any application. It has its
 * own package.json (for "type": "commonjs"), so Node's self-reference to the repository's package
 * does not apply there; the link `examples/nestjs/node_modules/mongock -> ../../..` stands in for
 * what `npm install` makes of its `"mongock": "file:../.."` dependency. The built `dist/` must
 * exist (`npm test` builds first).
 */
export function prepareNestExample(): void {
  for (const entry of ['index.cjs', 'nestjs.cjs', 'sqlite.cjs', 'mongodb.cjs', 'nestjs.d.cts']) {
    if (!existsSync(join(projectRoot, 'dist', entry))) {
      throw new Error(`dist/${entry} is missing: the NestJS tests run the built package. Run \`npm run build\` (npm test does it first).`);
    }
  }
  linkMongock();
  rmSync(join(exampleDir, 'dist'), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', exampleDir], { encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`Compiling examples/nestjs failed:\n${tsc.stdout}${tsc.stderr}`);
}

function linkMongock(): void {
  const modules = join(exampleDir, 'node_modules');
  const link = join(modules, 'mongock');
  const target = join('..', '..', '..');
  mkdirSync(modules, { recursive: true });
  const stat = lstatSync(link, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink() && readlinkSync(link) === target) return;
  if (stat !== undefined) rmSync(link, { recursive: true, force: true });
  symlinkSync(target, link, 'dir');
}

/** The compiled example's modules and the packages exactly as the example resolves them (one Nest, one mongock). */
export interface NestExample {
  readonly core: typeof NestCore;
  readonly testing: typeof NestTesting;
  readonly mongock: typeof Mongock;
  readonly nest: typeof MongockNest;
  readonly sqlite: typeof MongockSqlite;
  readonly mongodb: typeof MongockMongo;
  readonly AppModule: Type<unknown>;
  readonly SettingsModule: Type<unknown>;
  readonly CatalogModule: Type<unknown>;
  readonly DatabaseModule: Type<unknown>;
  readonly AppSettings: Type<unknown>;
  readonly CatalogService: Type<unknown>;
  readonly MigrationsController: Type<unknown>;
  readonly MongockConfigService: Type<MongockNest.MongockOptionsFactory>;
  readonly SQLITE_MIGRATIONS: readonly Mongock.ChangeUnitSource[];
  readonly MONGODB_MIGRATIONS: readonly Mongock.ChangeUnitSource[];
}

export function loadNestExample(): NestExample {
  const require = createRequire(exampleMain);
  const load = <T>(id: string): T => require(id) as T;
  return {
    core: load('@nestjs/core'),
    testing: load('@nestjs/testing'),
    mongock: load('mongock'),
    nest: load('mongock/nestjs'),
    sqlite: load('mongock/sqlite'),
    mongodb: load('mongock/mongodb'),
    AppModule: load<{ AppModule: Type<unknown> }>('./app.module').AppModule,
    SettingsModule: load<{ SettingsModule: Type<unknown> }>('./settings/settings.module').SettingsModule,
    CatalogModule: load<{ CatalogModule: Type<unknown> }>('./catalog/catalog.module').CatalogModule,
    DatabaseModule: load<{ DatabaseModule: Type<unknown> }>('./database/database.module').DatabaseModule,
    AppSettings: load<{ AppSettings: Type<unknown> }>('./settings/app-settings').AppSettings,
    CatalogService: load<{ CatalogService: Type<unknown> }>('./catalog/catalog.service').CatalogService,
    MigrationsController: load<{ MigrationsController: Type<unknown> }>('./admin/migrations.controller').MigrationsController,
    MongockConfigService: load<{ MongockConfigService: Type<MongockNest.MongockOptionsFactory> }>('./mongock-config.service').MongockConfigService,
    SQLITE_MIGRATIONS: load<{ SQLITE_MIGRATIONS: Mongock.ChangeUnitSource[] }>('./migrations/sqlite').SQLITE_MIGRATIONS,
    MONGODB_MIGRATIONS: load<{ MONGODB_MIGRATIONS: Mongock.ChangeUnitSource[] }>('./migrations/mongodb').MONGODB_MIGRATIONS,
  };
}

/** What the example's AppSettings holds; tests override the provider with their own values. */
export interface ShopSettings {
  readonly mongodbUri: string | undefined;
  readonly databaseName: string;
  readonly databaseFile: string;
  readonly profiles: readonly string[];
  readonly migrateOnStartup: boolean;
  readonly currency: string;
  readonly port: number;
  readonly host: string;
}

export function shopSettings(databaseFile: string, overrides: Partial<ShopSettings> = {}): ShopSettings {
  return {
    mongodbUri: undefined,
    databaseName: 'shop',
    databaseFile,
    profiles: [],
    migrateOnStartup: true,
    currency: 'EUR',
    port: 0,
    host: '127.0.0.1',
    ...overrides,
  };
}

/** A temporary folder for one test's database files. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mongock-nest-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface AppProcess {
  readonly child: ChildProcess;
  /** Resolves with the URL once the app logs "Listening on"; rejects if it exits first. */
  readonly listening: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  output(): string;
}

/** Starts `node examples/nestjs/dist/main.js` (the real NestFactory bootstrap) as its own OS process. */
export function startShop(env: NodeJS.ProcessEnv): AppProcess {
  const child = spawn(process.execPath, [exampleMain], {
    cwd: exampleDir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, output })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!.replace('[::1]', '127.0.0.1'));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => reject(new Error(`the app exited (code ${code}, signal ${signal}) before listening:\n${output}`)));
  });
  listening.catch(() => undefined);
  return { child, listening, exited, output: () => output };
}

/** GET a JSON resource. */
export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}
