import { describe, expect, it } from 'vitest';
import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { batched, createRunner, defineChangeUnit, type Logger, multiTenantRunner, silentLogger, type Tenant } from '../../src/index.ts';
import { MongockTenantsMigration, trackTenants } from '../../src/nestjs/mongock-tenants-migration.ts';
import type { TenantInBackground } from '../../src/tenants/tenants-background.ts';
import { countApplications, numberSource } from '../support/number-source.ts';

// MultiTenantRunner.executeInBackground() when another process holds a tenant's lock (whenLocked:
// 'skip', the default): that tenant's slice ends `lock-not-acquired` having run nothing, so it is
// `skipped` (the holder migrates it), never `finished`. The holder here is a second runner on the
// same in-memory database, held inside its unit until the background run is over.

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('MultiTenantRunner.executeInBackground(): a tenant whose lock another process holds', () => {
  it('is skipped (result lock-not-acquired, nothing applied), not finished; the other tenants are migrated', async () => {
    const databases: Record<string, MemoryDatabase> = { a: new MemoryDatabase(), b: new MemoryDatabase() };
    const entered = gate();
    const release = gate();
    let holding = false;
    const unit = defineChangeUnit<MemoryChangeContext>({
      id: 'seed',
      order: '001',
      async execute({ kv }) {
        if (holding) {
          entered.open();
          await release.opened;
        }
        await kv.set('seeded', true);
      },
      rollback: ({ kv }) => kv.delete('seeded'),
    });
    holding = true;
    const holder = createRunner({ driver: memoryDriver({ database: databases.a }), changeUnits: [unit], logger: silentLogger }).execute();
    await entered.opened;
    holding = false;

    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, info: (message: string) => void lines.push(message) };
    const tenants = multiTenantRunner<Tenant>({
      changeUnits: [unit],
      logger,
      tenants: { list: [{ id: 'a' }, { id: 'b' }], driver: (tenant) => memoryDriver({ database: databases[tenant.id] }) },
    });
    const ends = await tenants.executeInBackground().done;
    expect(ends.map(({ tenant, state, result }) => [tenant, state, result?.status])).toEqual([
      ['a', 'skipped', 'lock-not-acquired'],
      ['b', 'finished', 'completed'],
    ]);
    expect(databases.a!.data.get('seeded')).toBeUndefined();
    expect(databases.b!.data.get('seeded')).toBe(true);
    expect(lines).toContain(
      'Tenants in the background: 1 finished, 0 stopped with work left, 1 skipped (another process held the lock), 0 failed, 0 not reached, of 2.',
    );

    release.open();
    expect((await holder).status).toBe('completed');
    expect(databases.a!.data.get('seeded')).toBe(true);
  });
});

/** Batches of 10 over 0..count-1; each number's applications are counted under `n:<i>`. */
function counted(count: number) {
  return defineChangeUnit<MemoryChangeContext>({
    id: 'backfill',
    order: '002',
    execute: batched<number, MemoryChangeContext>({
      source: numberSource<MemoryChangeContext>(count),
      size: 10,
      apply: countApplications,
    }),
    rollback: () => undefined,
  });
}

/** Seeds the tenant; a tenant whose database says `refuse` fails here. */
const seed = defineChangeUnit<MemoryChangeContext>({
  id: 'seed',
  order: '001',
  async execute({ kv }) {
    if ((await kv.get('refuse')) === true) throw new Error('this tenant refuses its seed');
    await kv.set('seeded', true);
  },
  rollback: ({ kv }) => kv.delete('seeded'),
});

describe('MultiTenantRunner.executeInBackground(): events and stopAfterFailures, as execute() has them', () => {
  it("emits tenant-started and tenant-finished once per tenant, in order, with execute()'s outcomes and counts", async () => {
    const databases: Record<string, MemoryDatabase> = { a: new MemoryDatabase(), b: new MemoryDatabase() };
    const tenants = multiTenantRunner<Tenant>({
      changeUnits: [seed, counted(30)],
      logger: silentLogger,
      tenants: { list: [{ id: 'a' }, { id: 'b' }], driver: (tenant) => memoryDriver({ database: databases[tenant.id] }) },
    });
    const events: string[] = [];
    tenants.on('tenant-started', ({ tenant, index, total }) => void events.push(`started ${tenant} ${index}/${total}`));
    tenants.on(
      'tenant-finished',
      ({ tenant, result, done, total }) => void events.push(`finished ${tenant} ${result.outcome} executed ${result.executed} ${done}/${total}`),
    );
    const ends = await tenants.executeInBackground().done;
    expect(ends.map(({ state }) => state)).toEqual(['finished', 'finished']);
    // Each tenant's start-up part (seed, first batch) runs before any tenant's remaining batches.
    expect(events).toEqual(['started a 0/2', 'started b 1/2', 'finished a completed executed 2 1/2', 'finished b completed executed 2 2/2']);
    for (const id of ['a', 'b']) expect(Array.from({ length: 30 }, (_, n) => databases[id]!.data.get(`n:${n}`))).toEqual(Array(30).fill(1));
  });

  it('stopAfterFailures: 1 — once a tenant failed, no other tenant starts and a waiting one is stopped (in-progress), resumed by the next run', async () => {
    const databases: Record<string, MemoryDatabase> = { a: new MemoryDatabase(), b: new MemoryDatabase(), c: new MemoryDatabase() };
    databases.b!.data.set('refuse', true);
    const run = () =>
      multiTenantRunner<Tenant>({
        changeUnits: [seed, counted(30)],
        logger: silentLogger,
        tenants: {
          list: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
          driver: (tenant) => memoryDriver({ database: databases[tenant.id] }),
          stopAfterFailures: 1,
        },
      });
    const tenants = run();
    const finished: string[] = [];
    tenants.on('tenant-finished', ({ tenant, result }) => void finished.push(`${tenant} ${result.outcome}`));
    const ends = await tenants.executeInBackground().done;
    expect(ends.map(({ tenant, state }) => `${tenant} ${state}`)).toEqual(['a stopped', 'b failed', 'c pending']);
    expect(finished).toEqual(['b failed', 'a in-progress']);
    expect(databases.c!.data.size).toBe(0);
    const first = Array.from({ length: 30 }, (_, n) => databases.a!.data.get(`n:${n}`) ?? 0);
    expect(first.slice(0, 10)).toEqual(Array(10).fill(1));
    expect(first.slice(10)).toEqual(Array(20).fill(0));

    // The next (plain) run resumes a's batches after its checkpoint: every number exactly once.
    const result = await run().execute({ tenants: ['a'] });
    expect(result.tenants[0]).toMatchObject({ tenant: 'a', outcome: 'completed' });
    expect(Array.from({ length: 30 }, (_, n) => databases.a!.data.get(`n:${n}`))).toEqual(Array(30).fill(1));
  });
});

describe('MultiTenantRunner.executeInBackground(): a tenant whose unit failed without stopping its run (failFast: false)', () => {
  it('is failed, as execute() reports it (result.failed the evidence), in tenants(), the handle and tenant-finished; the unit was attempted once', async () => {
    const attempts: Record<string, number> = {};
    const soft = defineChangeUnit<MemoryChangeContext & { tenant: Tenant }>({
      id: 'seed-soft',
      order: '001',
      failFast: false,
      async execute({ kv, tenant }) {
        attempts[tenant.id] = (attempts[tenant.id] ?? 0) + 1;
        if ((await kv.get('refuse')) === true) throw new Error('this tenant refuses its seed');
        await kv.set('seeded', true);
      },
      rollback: ({ kv }) => kv.delete('seeded'),
    });
    const tenantsOn = (databases: Record<string, MemoryDatabase>) => {
      databases.a!.data.set('refuse', true);
      return multiTenantRunner<Tenant>({
        changeUnits: [soft, counted(30)],
        logger: silentLogger,
        tenants: { list: [{ id: 'a' }, { id: 'b' }], driver: (tenant) => memoryDriver({ database: databases[tenant.id] }) },
      });
    };
    // What execute() reports for the same tenants: a failed (its unit failed, the run went on), b completed.
    const executed = await tenantsOn({ a: new MemoryDatabase(), b: new MemoryDatabase() }).execute();
    expect(executed.tenants.map(({ tenant, outcome, result }) => [tenant, outcome, result?.failed])).toEqual([
      ['a', 'failed', 1],
      ['b', 'completed', 0],
    ]);
    expect(attempts).toEqual({ a: 1, b: 1 });

    for (const key of Object.keys(attempts)) delete attempts[key];
    const tenants = tenantsOn({ a: new MemoryDatabase(), b: new MemoryDatabase() });
    const finished: string[] = [];
    tenants.on('tenant-finished', ({ tenant, result }) => void finished.push(`${tenant} ${result.outcome}`));
    const run = tenants.executeInBackground();
    const handle = new MongockTenantsMigration();
    trackTenants(handle, run);
    const ends = await run.done;
    const seen = (list: readonly TenantInBackground[]) =>
      list.map(({ tenant, state, result, error }) => [
        tenant,
        state,
        result?.items.filter((item) => item.outcome === 'failed').map((item) => item.changeId),
        error,
      ]);
    const expected = [
      ['a', 'failed', ['seed-soft'], undefined],
      ['b', 'finished', [], undefined],
    ];
    expect(seen(ends)).toEqual(expected);
    expect(seen(run.tenants())).toEqual(expected);
    expect(seen(handle.tenants)).toEqual(expected);
    expect(finished).toEqual(['a failed', 'b completed']);
    expect(attempts).toEqual({ a: 1, b: 1 });
  });
});
