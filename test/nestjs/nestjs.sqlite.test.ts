import { performance } from 'node:perf_hooks';
import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MongockModuleOptions } from '../../src/nestjs/index.ts';
import { getJson, loadNestExample, type NestExample, prepareNestExample, type ShopSettings, shopSettings, tempDir } from './support/nest-example.ts';

// A real Nest application (the compiled examples/nestjs) on a real SQLite file: each
// configuration style, bootstrap ordering, DI into change units, failures and shutdown.

interface Product {
  readonly name: string;
  readonly slug: string;
  readonly priceCents: number;
  readonly currency: string;
}

let ex: NestExample;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  prepareNestExample();
  ex = loadNestExample();
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newDatabase(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return `${dir}/shop.db`;
}

/** Builds the app with @nestjs/testing; AppSettings is overridden as a test would. */
async function testingApp(imports: unknown[], settings: ShopSettings, logger: LoggerService | false = false): Promise<INestApplication> {
  const builder = ex.testing.Test.createTestingModule({ imports: imports as Type<unknown>[] });
  const moduleRef = await builder.overrideProvider(ex.AppSettings).useValue(settings).compile();
  const app = moduleRef.createNestApplication({ logger });
  cleanups.push(() => app.close());
  return app;
}

/** The shop without its AppModule: the given Mongock module plus the shop's feature modules and admin routes. */
function shopModule(mongock: unknown): Type<unknown> {
  const ShopTestModule = class ShopTestModule {};
  return {
    module: ShopTestModule,
    imports: [ex.SettingsModule, ex.CatalogModule, mongock],
    controllers: [ex.MigrationsController],
  } as unknown as Type<unknown>;
}

function forRoot(options: Partial<MongockModuleOptions> & { filename: string; imports?: unknown[] }): unknown {
  const { filename, imports = [ex.CatalogModule], ...rest } = options;
  return ex.nest.MongockModule.forRoot({
    driver: ex.sqlite.sqliteDriver({ filename }),
    changeUnits: ex.SQLITE_MIGRATIONS,
    imports: imports as Type<unknown>[],
    ...rest,
  });
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

function query<T>(filename: string, sql: string): T[] {
  const db = new Database(filename, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const executedIds = (filename: string) =>
  query<{ changeId: string }>(filename, "SELECT change_id AS changeId FROM mongockChangeLog WHERE state = 'EXECUTED' ORDER BY change_id").map(
    (row) => row.changeId,
  );

describe('MongockModule configuration styles (@nestjs/testing, SQLite)', () => {
  it('forRoot: migrates during bootstrap; the change unit receives the app’s CatalogService', async () => {
    const filename = newDatabase();
    const app = await testingApp([shopModule(forRoot({ filename }))], shopSettings(filename, { currency: 'CHF' }));
    const url = await listen(app);

    const { status, body } = await getJson<Product[]>(`${url}/products`);
    expect(status).toBe(200);
    // CHF comes from the overridden AppSettings, through CatalogService, into the unit's constructor.
    expect(body).toEqual([
      { name: 'Espresso cup', slug: 'espresso-cup', priceCents: 900, currency: 'CHF' },
      { name: 'Moka pot', slug: 'moka-pot', priceCents: 3490, currency: 'CHF' },
      { name: 'Coffee beans 1 kg', slug: 'coffee-beans-1-kg', priceCents: 2250, currency: 'CHF' },
    ]);
    expect(executedIds(filename)).toEqual(['create-products', 'create-products_before', 'index-product-slugs']);
  });

  it('forRootAsync with useFactory (the example’s AppModule): profiles come from the app’s settings', async () => {
    const filename = newDatabase();
    const app = await testingApp([ex.AppModule], shopSettings(filename, { profiles: ['dev'] }));
    const url = await listen(app);

    const { body } = await getJson<Product[]>(`${url}/products`);
    expect(body.map((product) => product.slug)).toEqual(['espresso-cup', 'moka-pot', 'coffee-beans-1-kg', 'demo-grinder', 'demo-kettle']);
    expect(executedIds(filename)).toContain('seed-demo-products');
  });

  it('forRootAsync with useClass (MongockConfigService implements MongockOptionsFactory)', async () => {
    const filename = newDatabase();
    const mongock = ex.nest.MongockModule.forRootAsync({
      imports: [ex.SettingsModule, ex.DatabaseModule, ex.CatalogModule],
      useClass: ex.MongockConfigService,
    });
    const app = await testingApp([shopModule(mongock)], shopSettings(filename));
    const url = await listen(app);

    expect((await getJson<Product[]>(`${url}/products`)).body).toHaveLength(3);
    expect(executedIds(filename)).toEqual(['create-products', 'create-products_before', 'index-product-slugs']);
  });

  it('forRootAsync with useExisting reuses a provider the app already has', async () => {
    const filename = newDatabase();
    const OptionsModule = class OptionsModule {};
    const options = {
      module: OptionsModule,
      imports: [ex.SettingsModule, ex.DatabaseModule],
      providers: [ex.MongockConfigService],
      exports: [ex.MongockConfigService],
    };
    const mongock = ex.nest.MongockModule.forRootAsync({
      imports: [options as unknown as Type<unknown>, ex.CatalogModule],
      useExisting: ex.MongockConfigService,
    });
    const app = await testingApp([shopModule(mongock)], shopSettings(filename));
    await app.init();
    expect(executedIds(filename)).toHaveLength(3);
  });

  it('forRootAsync rejects a call with no factory, and bad module options with INVALID_CONFIG', async () => {
    expect(() => ex.nest.MongockModule.forRootAsync({ imports: [] })).toThrow(/exactly one of useFactory, useClass or useExisting/);
    const filename = newDatabase();
    const bad = forRoot({ filename, startupHook: 'later' as never });
    await expect(testingApp([shopModule(bad)], shopSettings(filename))).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining("Option 'startupHook'"),
    });
  });

  it("rejects a non-boolean background ('yes') with INVALID_CONFIG naming the option and its accepted values, from forRoot and forRootAsync", async () => {
    const expected = { code: 'INVALID_CONFIG', message: expect.stringContaining(`Option 'background' must be true or false; got "yes".`) };
    const filename = newDatabase();
    const fromRoot = forRoot({ filename, background: 'yes' as never });
    // The refusal itself, not the app (a built app is too large for vitest to print in a failure).
    const refusal = (imports: unknown[]) =>
      testingApp(imports, shopSettings(filename)).then(
        () => 'compiled',
        (error: unknown) => error,
      );
    expect(await refusal([shopModule(fromRoot)])).toMatchObject(expected);
    const fromAsync = ex.nest.MongockModule.forRootAsync({
      imports: [ex.CatalogModule],
      useFactory: () => ({ driver: ex.sqlite.sqliteDriver({ filename }), changeUnits: ex.SQLITE_MIGRATIONS, background: 'yes' as never }),
    });
    expect(await refusal([shopModule(fromAsync)])).toMatchObject(expected);
    // Refused before anything ran: no history was written.
    expect(query<{ n: number }>(filename, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'mongockChangeLog'")).toEqual([{ n: 0 }]);
  });
});

describe('MongockModule at bootstrap (real NestFactory)', () => {
  it('does not listen until the migration has finished, and logs through Nest’s logger', async () => {
    const filename = newDatabase();
    let unitFinishedAt = 0;
    const slow = ex.mongock.defineChangeUnit({
      id: 'slow-reindex',
      order: '004',
      author: 'tests',
      async execute() {
        await new Promise((resolve) => setTimeout(resolve, 300));
        unitFinishedAt = performance.now();
      },
      async rollback() {},
    });
    const lines: string[] = [];
    const capture: LoggerService = {
      log: (message, context) => lines.push(`LOG [${context}] ${message}`),
      warn: (message, context) => lines.push(`WARN [${context}] ${message}`),
      error: (message, context) => lines.push(`ERROR [${context}] ${message}`),
      debug: (message, context) => lines.push(`DEBUG [${context}] ${message}`),
    };
    process.env.DATABASE_FILE = filename;
    try {
      const mongock = forRoot({ filename, changeUnits: [...ex.SQLITE_MIGRATIONS, slow] });
      const app = await ex.core.NestFactory.create(shopModule(mongock), { logger: capture });
      cleanups.push(() => app.close());
      let listeningAt = 0;
      app.getHttpServer().once('listening', () => {
        listeningAt = performance.now();
      });
      const url = await listen(app);

      expect(unitFinishedAt).toBeGreaterThan(0);
      expect(listeningAt).toBeGreaterThan(unitFinishedAt);
      expect((await getJson<Product[]>(`${url}/products`)).body).toHaveLength(3);
      expect(lines).toContainEqual(expect.stringMatching(/^LOG \[Mongock\] Migration .* finished in \d+ ms: 4 executed, 0 failed/));
    } finally {
      delete process.env.DATABASE_FILE;
    }
  });

  it('a failing unit stops bootstrap with the unit id and the cause; earlier units stay applied', async () => {
    const filename = newDatabase();
    const failing = ex.mongock.defineChangeUnit({
      id: 'import-suppliers',
      order: '004',
      author: 'tests',
      async execute() {
        throw new Error('supplier feed unreachable');
      },
      async rollback() {},
    });
    const app = await testingApp([shopModule(forRoot({ filename, changeUnits: [...ex.SQLITE_MIGRATIONS, failing] }))], shopSettings(filename));

    const error = await app.init().then(
      () => undefined,
      (caught: unknown) => caught as { code: string; changeId: string; message: string; cause: Error },
    );
    expect(error).toMatchObject({ code: 'CHANGE_FAILED', changeId: 'import-suppliers' });
    expect(error!.message).toContain("Change 'import-suppliers' by 'tests' failed: supplier feed unreachable");
    expect(error!.cause.message).toBe('supplier feed unreachable');
    expect(executedIds(filename)).toEqual(['create-products', 'create-products_before', 'index-product-slugs']);
  });

  it('a unit whose dependencies Mongock cannot see fails with a hint to add the module to imports', async () => {
    const filename = newDatabase();
    const app = await testingApp([shopModule(forRoot({ filename, imports: [] }))], shopSettings(filename));
    // The class is first needed by its before-execution step; its rollback cannot get an instance either.
    await expect(app.init()).rejects.toMatchObject({
      code: expect.stringMatching(/^(CHANGE_FAILED|ROLLBACK_FAILED)$/),
      changeId: 'create-products_before',
      message: expect.stringMatching(/Nest could not instantiate CreateProducts: .*CatalogService.*MongockModule's 'imports'/s),
    });
  });

  it('a change unit registered as a provider is taken from its module (same instance)', async () => {
    const filename = newDatabase();
    const seen: string[] = [];
    class AuditUnit {
      constructor(readonly tag: string) {}
      async run(): Promise<void> {
        seen.push(this.tag);
      }
      async undo(): Promise<void> {}
    }
    // What TypeScript emits for @Execution/@RollbackExecution/@ChangeUnit under experimentalDecorators.
    const methodDecorators = ex.mongock as unknown as Record<'Execution' | 'RollbackExecution', () => (...args: unknown[]) => void>;
    methodDecorators.Execution()(AuditUnit.prototype, 'run', Object.getOwnPropertyDescriptor(AuditUnit.prototype, 'run'));
    methodDecorators.RollbackExecution()(AuditUnit.prototype, 'undo', Object.getOwnPropertyDescriptor(AuditUnit.prototype, 'undo'));
    (ex.mongock.ChangeUnit({ id: 'audit', order: '010', author: 'tests' }) as (target: unknown) => void)(AuditUnit);
    const AuditModule = class AuditModule {};
    const audit = { module: AuditModule, providers: [{ provide: AuditUnit, useFactory: () => new AuditUnit('from-provider') }] };

    const mongock = forRoot({ filename, changeUnits: [...ex.SQLITE_MIGRATIONS, AuditUnit] });
    const app = await testingApp([shopModule(mongock), audit], shopSettings(filename));
    await app.init();
    expect(seen).toEqual(['from-provider']);
  });
});

describe('runOnStartup: false, startupHook, lock, shutdown', () => {
  it('runOnStartup: false starts without migrating; the injected MongockRunner migrates on demand', async () => {
    const filename = newDatabase();
    const app = await testingApp([shopModule(forRoot({ filename, runOnStartup: false }))], shopSettings(filename));
    const url = await listen(app);

    expect((await fetch(`${url}/products`)).status).toBe(500); // no table yet
    const runner = app.get(ex.nest.MongockRunner);
    expect(app.get(ex.nest.MONGOCK_RUNNER)).toBe(runner);
    expect((await runner.status()).units.map((unit) => unit.state)).toEqual(['pending', 'pending']);

    const response = await fetch(`${url}/admin/migrations`, { method: 'POST' });
    expect(((await response.json()) as { status: string; executed: number }).executed).toBe(3);
    expect((await getJson<Product[]>(`${url}/products`)).body).toHaveLength(3);
  });

  it("startupHook: 'onModuleInit' migrates in app.init() too", async () => {
    const filename = newDatabase();
    const app = await testingApp([shopModule(forRoot({ filename, startupHook: 'onModuleInit' }))], shopSettings(filename));
    await app.init();
    expect(executedIds(filename)).toHaveLength(3);
  });

  it('throwExceptionIfCannotObtainLock: false lets the app start when another instance holds the lock', async () => {
    const filename = newDatabase();
    const driver = ex.sqlite.sqliteDriver({ filename });
    const holder = await driver.connect({ migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: ex.mongock.silentLogger });
    cleanups.push(() => holder.close());
    const attempt = await holder.lock.tryAcquire({ owner: 'other-instance', leaseMs: 60_000, hostname: 'elsewhere', onLost: () => undefined });
    expect(attempt.acquired).toBe(true);

    const mongock = forRoot({ filename, throwExceptionIfCannotObtainLock: false, lockConfig: { quitTryingAfterMs: 0 } });
    const app = await testingApp([shopModule(mongock)], shopSettings(filename));
    const started = performance.now();
    await app.init();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(executedIds.bind(null, filename)).toThrow(/no such table/);
  });

  it('app.close() during the start-up migration waits for it: the unit is recorded and the lock released', async () => {
    const filename = newDatabase();
    let started!: () => void;
    const unitStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow = ex.mongock.defineChangeUnit({
      id: 'slow-backfill',
      order: '004',
      author: 'tests',
      async execute() {
        started();
        await new Promise((resolve) => setTimeout(resolve, 500));
      },
      async rollback() {},
    });
    const app = await testingApp([shopModule(forRoot({ filename, changeUnits: [...ex.SQLITE_MIGRATIONS, slow] }))], shopSettings(filename));
    const init = app.init();
    await unitStarted;
    await app.close();

    expect(executedIds(filename)).toContain('slow-backfill');
    const connection = await ex.sqlite
      .sqliteDriver({ filename })
      .connect({ migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: ex.mongock.silentLogger });
    try {
      expect(await connection.lock.inspect()).toBeNull();
    } finally {
      await connection.close();
    }
    await init;
  });

  it('onApplicationShutdown closes a driver that owns a client (driver.close)', async () => {
    const filename = newDatabase();
    let closed = 0;
    const driver = {
      ...ex.sqlite.sqliteDriver({ filename }),
      close: async () => {
        closed += 1;
      },
    };
    const app = await testingApp([shopModule(forRoot({ filename, driver }))], shopSettings(filename));
    await app.init();
    expect(closed).toBe(0);
    await app.close();
    expect(closed).toBe(1);
  });
});
