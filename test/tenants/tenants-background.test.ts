import { describe, expect, it } from 'vitest';
import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { createRunner, defineChangeUnit, type Logger, multiTenantRunner, silentLogger, type Tenant } from '../../src/index.ts';

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
