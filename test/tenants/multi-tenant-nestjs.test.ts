import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, silentLogger, type Tenant } from '../../src/index.ts';
import { MONGOCK_TENANTS_RUNNER, MongockTenantsMigration, MongockTenantsModule, MultiTenantRunner } from '../../src/nestjs/index.ts';

const createNotes = defineChangeUnit<SqliteChangeContext & { tenant: Tenant }>({
  id: 'create-notes',
  order: '001',
  author: 'nest',
  async execute({ sql, tenant }) {
    if (tenant.id === 'broken') throw new Error('broken tenant');
    await sql.exec('CREATE TABLE notes (tenant TEXT)');
    await sql.run('INSERT INTO notes VALUES (?)', tenant.id);
  },
  async rollback({ sql }) {
    await sql.exec('DROP TABLE notes');
  },
});

describe('MongockTenantsModule (NestJS, SQLite tenants)', () => {
  let dir: string;
  const closers: Array<() => Promise<void>> = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mongock-nest-tenants-'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    rmSync(dir, { recursive: true, force: true });
  });
  const notes = (id: string) => {
    const db = new Database(join(dir, `${id}.db`), { readonly: true });
    try {
      return db.prepare('SELECT tenant FROM notes').all();
    } finally {
      db.close();
    }
  };
  const tenantsOf = (ids: string[]) => ({
    list: () => ids.map((id) => ({ id })),
    driver: (tenant: Tenant) => sqliteDriver({ filename: join(dir, `${tenant.id}.db`) }),
  });
  const app = async (ids: string[], extra: object = {}) => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MongockTenantsModule.forRoot({
          changeUnits: [createNotes],
          logger: silentLogger,
          tenants: tenantsOf(ids),
          ...extra,
        }),
      ],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    closers.push(() => nest.close());
    return nest;
  };

  it('migrates every tenant at start-up and injects the runner for a tenant that signs up later', async () => {
    const ids = ['acme', 'globex'];
    const nest = await app(ids);
    await nest.init();
    expect(notes('acme')).toEqual([{ tenant: 'acme' }]);
    expect(notes('globex')).toEqual([{ tenant: 'globex' }]);
    const runner = nest.get(MultiTenantRunner);
    expect(nest.get(MONGOCK_TENANTS_RUNNER)).toBe(runner);
    ids.push('initech');
    const signUp = await runner.execute({ tenants: ['initech'] });
    expect(signUp.tenants.map((t) => [t.tenant, t.outcome])).toEqual([['initech', 'completed']]);
    expect(notes('initech')).toEqual([{ tenant: 'initech' }]);
  });

  it('a failing tenant is logged and the application starts; with failOnTenantFailure the start-up is refused', async () => {
    const starts = await app(['acme', 'broken']);
    await starts.init();
    expect(notes('acme')).toEqual([{ tenant: 'acme' }]);
    const refuses = await app(['acme2', 'broken'], { failOnTenantFailure: true });
    await expect(refuses.init()).rejects.toMatchObject({ code: 'CHANGE_FAILED', message: expect.stringContaining('Failed: broken') });
  });

  it("background: 'yes' (not a boolean) is refused with INVALID_CONFIG naming the option and its accepted values", async () => {
    const refusal = await app(['acme'], { background: 'yes' }).then(
      () => 'compiled',
      (error: unknown) => error,
    );
    expect(refusal).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining(`Option 'background' must be true or false; got "yes".`) });
  });

  it("runOnStartup: 'yes', failOnTenantFailure: 'yes' and startupHook: 'later' are refused with INVALID_CONFIG naming each option, from forRoot and forRootAsync, before anything is written", async () => {
    const cases = [
      { options: { runOnStartup: 'yes', failOnTenantFailure: 'yes' }, problems: ['runOnStartup', 'failOnTenantFailure'] },
      { options: { startupHook: 'later' }, problems: ['startupHook'] },
    ];
    const accepted = { runOnStartup: 'true or false', failOnTenantFailure: 'true or false', startupHook: "'onApplicationBootstrap' or 'onModuleInit'" };
    // The refusal itself, not the app (a built app is too large for vitest to print); an app
    // that compiles is started, so an option let through would migrate and write a database.
    const refusal = (build: Promise<TestingModule>) =>
      build.then(
        async (moduleRef) => {
          const nest = moduleRef.createNestApplication({ logger: false });
          closers.push(() => nest.close());
          await nest.init();
          return 'started';
        },
        (error: unknown) => error,
      );
    for (const { options, problems } of cases) {
      const expected = {
        code: 'INVALID_CONFIG',
        problems: problems.map((name) => {
          const value = JSON.stringify((options as Record<string, unknown>)[name]);
          return `Option '${name}' must be ${accepted[name as keyof typeof accepted]}; got ${value}.`;
        }),
      };
      const fromRoot = MongockTenantsModule.forRoot({ changeUnits: [createNotes], logger: silentLogger, tenants: tenantsOf(['acme']), ...(options as object) });
      expect(await refusal(Test.createTestingModule({ imports: [fromRoot] }).compile())).toMatchObject(expected);
      const fromAsync = MongockTenantsModule.forRootAsync({
        useFactory: () => ({ changeUnits: [createNotes], logger: silentLogger, tenants: tenantsOf(['globex']), ...(options as object) }),
      });
      expect(await refusal(Test.createTestingModule({ imports: [fromAsync] }).compile())).toMatchObject(expected);
    }
    // Refused before any tenant was reached: no tenant database was even created.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('background: true without batched units: everything is applied before serving; the handle lists each tenant, a failing one failed (the others served), and failOnTenantFailure refuses the start-up', async () => {
    const starts = await app(['acme', 'broken', 'globex'], { background: true });
    const handle = starts.get(MongockTenantsMigration);
    expect(handle.state).toBe('idle');
    await starts.init();
    expect(notes('acme')).toEqual([{ tenant: 'acme' }]);
    expect(notes('globex')).toEqual([{ tenant: 'globex' }]);
    const states = (await handle.done!).map(({ tenant, state, error }) => [tenant, state, (error as { code?: string } | undefined)?.code]);
    expect(states).toEqual([
      ['acme', 'finished', undefined],
      ['broken', 'failed', 'CHANGE_FAILED'],
      ['globex', 'finished', undefined],
    ]);
    expect(handle.state).toBe('finished');
    const refuses = await app(['acme2', 'broken'], { background: true, failOnTenantFailure: true });
    await expect(refuses.init()).rejects.toMatchObject({ code: 'CHANGE_FAILED', message: expect.stringContaining('Failed: broken') });
  });

  it('background: true with stopAfterFailures: 1: the start-up line counts a tenant not reached as not reached, never as migrated', async () => {
    const lines: string[] = [];
    const logger = { ...silentLogger, info: (line: string) => void lines.push(line), error: (line: string) => void lines.push(line) };
    const starts = await app(['broken', 'acme'], { background: true, logger, tenants: { ...tenantsOf(['broken', 'acme']), stopAfterFailures: 1 } });
    await starts.init();
    const states = (await starts.get(MongockTenantsMigration).done!).map(({ tenant, state }) => [tenant, state]);
    expect(states).toEqual([
      ['broken', 'failed'],
      ['acme', 'pending'],
    ]);
    expect(lines).toContain(
      'Tenants: 0 migrated, 0 with batched work left for the background, 1 failed, 0 skipped, 1 not reached, of 2. Failed: broken; the application starts and serves the other tenants.',
    );
  });
});
