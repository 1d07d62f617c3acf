import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, isMongockError, MongockBuilder, type MultiTenantEvents, multiTenantRunner, silentLogger, type Tenant } from '../../src/index.ts';

interface FileTenant extends Tenant {
  readonly file: string;
  readonly plan: string;
}

type Ctx = SqliteChangeContext & { readonly tenant: FileTenant };

/** `count` units; each inserts one marker row (unit id, the tenant it was told) into its tenant's database. */
function units(count: number, fail: (tenant: FileTenant, id: string) => boolean = () => false) {
  return Array.from({ length: count }, (_, i) => {
    const id = `u${String(i + 1).padStart(2, '0')}`;
    return defineChangeUnit<Ctx>({
      id,
      order: String(i + 1).padStart(3, '0'),
      author: 'test',
      async execute({ sql, tenant }) {
        if (i === 0) await sql.exec('CREATE TABLE markers (unit TEXT NOT NULL, tenant TEXT NOT NULL, plan TEXT NOT NULL)');
        if (fail(tenant, id)) throw new Error(`${id} refuses tenant ${tenant.id}`);
        await sql.run('INSERT INTO markers (unit, tenant, plan) VALUES (?, ?, ?)', id, tenant.id, tenant.plan);
      },
      async rollback({ sql }) {
        await sql.run('DELETE FROM markers WHERE unit = ?', id);
      },
    });
  });
}

describe('multi-tenant runs (SQLite files, in one process)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mongock-tenants-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tenant = (id: string, plan = 'basic'): FileTenant => ({ id, file: join(dir, `${id}.db`), plan });
  const markers = (t: FileTenant): Array<{ unit: string; tenant: string; plan: string }> => {
    const db = new Database(t.file, { readonly: true });
    try {
      return db.prepare('SELECT unit, tenant, plan FROM markers ORDER BY rowid').all() as never;
    } finally {
      db.close();
    }
  };
  const runner = (
    list: FileTenant[] | (() => Promise<FileTenant[]>),
    extra: { fail?: (t: FileTenant, id: string) => boolean; concurrency?: number; stopAfterFailures?: number; discover?: () => string[] } = {},
  ) =>
    multiTenantRunner({
      changeUnits: units(20, extra.fail),
      logger: silentLogger,
      tenants: {
        list,
        driver: (t: FileTenant) => sqliteDriver({ filename: t.file }),
        ...(extra.concurrency === undefined ? {} : { concurrency: extra.concurrency }),
        ...(extra.stopAfterFailures === undefined ? {} : { stopAfterFailures: extra.stopAfterFailures }),
        ...(extra.discover === undefined ? {} : { discover: extra.discover }),
      },
    });

  it('applies every unit once per tenant, with ctx.tenant, at most `concurrency` tenants at once; a rerun is up to date', async () => {
    const tenants = Array.from({ length: 50 }, (_, i) => tenant(`t${i}`, i % 2 === 0 ? 'pro' : 'basic'));
    const mt = runner(async () => tenants, { concurrency: 3 });
    let running = 0;
    let peak = 0;
    const finished: string[] = [];
    mt.on('tenant-started', () => {
      peak = Math.max(peak, ++running);
    });
    mt.on('tenant-finished', ({ tenant: id, done, total }) => {
      running--;
      finished.push(`${id}:${done}/${total}`);
    });
    const unitEvents: Array<MultiTenantEvents['unit-finished']> = [];
    mt.on('unit-finished', (event) => unitEvents.push(event));

    const result = await mt.execute();
    expect(result.ok).toBe(true);
    expect(result.summary).toMatchObject({ total: 50, completed: 50, upToDate: 0, failed: 0, skipped: 0 });
    expect(result.tenants.map((t) => t.tenant)).toEqual(tenants.map((t) => t.id));
    expect(peak).toBe(3);
    expect(finished).toHaveLength(50);
    expect(finished.at(-1)).toMatch(/:50\/50$/);
    expect(unitEvents).toHaveLength(50 * 20);
    expect(new Set(unitEvents.map((event) => event.tenant)).size).toBe(50);
    for (const t of tenants) {
      const rows = markers(t);
      expect(rows.map((row) => row.unit)).toEqual(units(20).map((unit) => unit.id));
      expect(new Set(rows.map((row) => `${row.tenant}/${row.plan}`))).toEqual(new Set([`${t.id}/${t.plan}`]));
    }

    const again = await mt.execute();
    expect(again.summary).toMatchObject({ total: 50, completed: 0, upToDate: 50 });
    expect(markers(tenants[7]!)).toHaveLength(20);
  });

  it('records a failing tenant, completes the others, and a rerun after the fix migrates only that tenant', async () => {
    const tenants = ['a', 'b', 'c', 'd'].map((id) => tenant(id));
    let fixed = false;
    const mt = runner(tenants, { fail: (t, id) => !fixed && t.id === 'c' && id === 'u05' });
    const first = await mt.execute();
    expect(first.ok).toBe(false);
    expect(first.summary).toMatchObject({ completed: 3, failed: 1 });
    const failed = first.tenants.find((t) => t.outcome === 'failed')!;
    expect(failed.tenant).toBe('c');
    expect(failed.error?.code).toBe('CHANGE_FAILED');
    expect(failed.error?.message).toMatch(/^Tenant 'c': /);
    expect(failed.error?.changeId).toBe('u05');
    expect(failed.error?.message).not.toMatch(/\n\s+at /);
    expect(markers(tenants[2]!).map((row) => row.unit)).toEqual(['u01', 'u02', 'u03', 'u04']);

    fixed = true;
    const second = await mt.execute();
    expect(second.ok).toBe(true);
    expect(second.tenants.map((t) => [t.tenant, t.outcome])).toEqual([
      ['a', 'up-to-date'],
      ['b', 'up-to-date'],
      ['c', 'completed'],
      ['d', 'up-to-date'],
    ]);
    expect(second.tenants[2]!.result?.executed).toBe(16);
    expect(markers(tenants[2]!)).toHaveLength(20);
  });

  it('stopAfterFailures: once that many tenants failed, the rest are not started (reported skipped)', async () => {
    const tenants = ['a', 'b', 'c', 'd', 'e'].map((id) => tenant(id));
    const mt = runner(tenants, { concurrency: 1, stopAfterFailures: 2, fail: (t) => t.id === 'a' || t.id === 'b' });
    const result = await mt.execute();
    expect(result.tenants.map((t) => [t.tenant, t.outcome, t.reason])).toEqual([
      ['a', 'failed', undefined],
      ['b', 'failed', undefined],
      ['c', 'skipped', 'stopped-after-failures'],
      ['d', 'skipped', 'stopped-after-failures'],
      ['e', 'skipped', 'stopped-after-failures'],
    ]);
  });

  it('a tenant added later is migrated from zero; one removed from the list is left alone and reported by diagnose()', async () => {
    const list = [tenant('a'), tenant('b')];
    const discover = () => list.concat(tenant('gone')).map((t) => t.id);
    await runner(list).execute();
    const gone = tenant('gone');
    await runner([gone]).execute();
    list.push(tenant('new'));
    const result = await runner(() => Promise.resolve(list), { discover }).execute();
    expect(result.tenants.map((t) => [t.tenant, t.outcome])).toEqual([
      ['a', 'up-to-date'],
      ['b', 'up-to-date'],
      ['new', 'completed'],
    ]);
    const diagnosis = await runner(list, { discover }).diagnose();
    expect(diagnosis.unlisted).toEqual(['gone']);
    expect(diagnosis.matrix.find((row) => row.changeId === 'u01')?.counts.executed).toBe(3);
    expect(diagnosis.tenants.map((t) => t.tenant)).toEqual(['a', 'b', 'new']);
    expect(markers(gone)).toHaveLength(20);
  });

  it('status: every tenant and a units × states matrix naming the tenants behind; undo targets named tenants only', async () => {
    const tenants = ['a', 'b', 'c'].map((id) => tenant(id));
    await runner(tenants).execute({ tenants: ['a', 'b'] });
    await runner(tenants).undo({ tenants: ['b'], last: 2 });
    const status = await runner(tenants).status();
    expect(status.tenants.map((t) => t.tenant)).toEqual(['a', 'b', 'c']);
    const row = (id: string) => status.matrix.find((r) => r.changeId === id)!;
    expect(row('u01')).toMatchObject({ counts: { executed: 2, pending: 1, failed: 0, 'rolled-back': 0 }, notExecuted: ['c'] });
    expect(row('u20')).toMatchObject({ counts: { executed: 1, pending: 1, failed: 0, 'rolled-back': 1 }, notExecuted: ['b', 'c'] });
    expect(markers(tenants[1]!)).toHaveLength(18);
    await expect(runner(tenants).undo({ tenants: [], last: 1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(runner(tenants).execute({ tenants: ['a', 'zz'] })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining("'zz'") });
  });

  it('bad input: a throwing enumerator, duplicate ids, a tenant without id — TENANT_LIST_FAILED and nothing touched', async () => {
    const boom = new Error('catalogue down');
    const thrown = await runner(() => Promise.reject(boom))
      .execute()
      .catch((error: unknown) => error);
    expect(isMongockError(thrown, 'TENANT_LIST_FAILED')).toBe(true);
    expect((thrown as Error).cause).toBe(boom);
    expect((thrown as Error).message).toContain('catalogue down');
    await expect(runner([tenant('a'), tenant('b'), tenant('a')]).execute()).rejects.toMatchObject({
      code: 'TENANT_LIST_FAILED',
      message: expect.stringContaining("tenant id 'a' is listed twice"),
    });
    await expect(runner([tenant('a'), { file: 'x', plan: 'p' } as unknown as FileTenant]).execute()).rejects.toMatchObject({
      code: 'TENANT_LIST_FAILED',
      message: expect.stringContaining('tenant #2 has no id'),
    });
    expect(() => markers(tenant('a'))).toThrow();
  });

  it('an invalid change unit is one INVALID_CHANGE_UNIT before any tenant runs, not one failure per tenant', async () => {
    const broken = defineChangeUnit({ id: 'no-rollback', order: '001', author: 'test', execute: () => {} } as never);
    const mt = multiTenantRunner({
      changeUnits: [broken],
      logger: silentLogger,
      tenants: { list: [tenant('a'), tenant('b')], driver: (t: FileTenant) => sqliteDriver({ filename: t.file }) },
    });
    await expect(mt.execute()).rejects.toMatchObject({ code: 'INVALID_CHANGE_UNIT', message: expect.stringContaining("'no-rollback'") });
    await expect(mt.status()).rejects.toMatchObject({ code: 'INVALID_CHANGE_UNIT' });
    expect(() => markers(tenant('a'))).toThrow(/unable to open|does not exist|no such/i);
  });

  it('a tenant whose driver cannot connect fails alone, named; the others complete', async () => {
    const tenants = [tenant('a'), { id: 'broken', file: join(dir, 'missing-dir', 'x.db'), plan: 'basic' }, tenant('c')];
    const result = await runner(tenants).execute();
    expect(result.tenants.map((t) => [t.tenant, t.outcome])).toEqual([
      ['a', 'completed'],
      ['broken', 'failed'],
      ['c', 'completed'],
    ]);
    expect(result.tenants[1]!.error?.message).toMatch(/^Tenant 'broken': /);
    const factoryThrows = multiTenantRunner({
      changeUnits: units(1),
      logger: silentLogger,
      tenants: {
        list: [tenant('x'), tenant('y')],
        driver: (t: FileTenant) => {
          if (t.id === 'x') throw new Error('no credentials for x');
          return sqliteDriver({ filename: t.file });
        },
      },
    });
    const mixed = await factoryThrows.execute();
    expect(mixed.tenants.map((t) => [t.tenant, t.outcome])).toEqual([
      ['x', 'failed'],
      ['y', 'completed'],
    ]);
    expect(mixed.tenants[0]!.error).toMatchObject({ code: 'DRIVER_ERROR', message: "Tenant 'x': no credentials for x" });
  });

  it('a MongockBuilder collects the shared settings: multiTenantRunner({ ...builder.toConfig(), tenants })', async () => {
    const builder = new MongockBuilder()
      .addChangeUnits(...units(3))
      .setLogger(silentLogger)
      .withMetadata({ release: 'r1' });
    const mt = multiTenantRunner({
      ...builder.toConfig(),
      tenants: { list: [tenant('a'), tenant('b')], driver: (t: FileTenant) => sqliteDriver({ filename: t.file }) },
    });
    const result = await mt.execute();
    expect(result.tenants.map((t) => [t.tenant, t.outcome, t.executed])).toEqual([
      ['a', 'completed', 3],
      ['b', 'completed', 3],
    ]);
    const db = new Database(tenant('b').file, { readonly: true });
    try {
      expect(db.prepare('SELECT DISTINCT metadata FROM mongockChangeLog').all()).toEqual([{ metadata: '{"release":"r1"}' }]);
    } finally {
      db.close();
    }
    expect(() =>
      multiTenantRunner({
        ...builder.setDriver(sqliteDriver({ filename: tenant('x').file })).toConfig(),
        tenants: { list: [], driver: () => null as never },
      } as never),
    ).toThrow(/remove the top-level 'driver' option/);
  });

  it('a bad config is refused at once, before any tenant is listed', () => {
    let listed = false;
    const list = () => {
      listed = true;
      return [];
    };
    const attempt =
      (tenants: unknown, extra: object = {}) =>
      () =>
        multiTenantRunner({ changeUnits: units(1), logger: silentLogger, ...extra, tenants } as never);
    expect(attempt({ list, driver: 'nope', concurrency: 0, whenLocked: 'later', colour: 1 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        problems: [
          "Unknown option 'tenants.colour'. Known options: list, driver, concurrency, stopAfterFailures, whenLocked, discover.",
          expect.stringContaining("'tenants.driver' must be a function"),
          "Option 'tenants.concurrency' must be a whole number of at least 1; got 0.",
          "Option 'tenants.whenLocked' must be one of 'skip', 'wait'; got later.",
        ],
      }),
    );
    expect(attempt({ list, driver: () => null }, { migrationRepositoryName: 42 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('migrationRepositoryName') }),
    );
    expect(attempt({ list, driver: () => null }, { driver: sqliteDriver({ filename: join(dir, 'x.db') }) })).toThrow(/tenants\.driver/);
    expect(listed).toBe(false);
  });
});
