import { describe, expect, it } from 'vitest';
import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { defineChangeUnit, MongockBuilder, type MongockError, silentLogger } from '../../src/index.ts';

function builder(database: MemoryDatabase, transactions = true) {
  return new MongockBuilder().setDriver(memoryDriver({ database, transactions })).setLogger(silentLogger).setLockQuickConfig();
}

async function crashedMarker(database: MemoryDatabase, changeId: string, executionId: string): Promise<void> {
  const attempt = await database.lock.tryAcquire({ owner: 'crashed', leaseMs: 3000, hostname: 'dead-host', onLost: () => {} });
  if (!attempt.acquired) throw new Error('the test could not take the lock');
  await database.lock.markInProgress(attempt.lease, { changeId, author: 'dev', executionId, startedAt: new Date(Date.now() - 1000), hostname: 'dead-host' });
  const realNow = database.now;
  database.now = () => realNow() + 10_000;
}

describe('failures and crashes outside transactions', () => {
  it('keeps the in-progress marker when a rollback fails, so the next run retries the rollback before re-applying', async () => {
    const database = new MemoryDatabase();
    let rollbackWorks = false;
    const unit = defineChangeUnit<MemoryChangeContext>({
      id: 'half',
      order: '1',
      author: 'dev',
      transactional: false,
      async execute({ kv }) {
        await kv.set('half', 'partial');
        if (!rollbackWorks) throw new Error('change failed');
      },
      async rollback({ kv }) {
        if (!rollbackWorks) throw new Error('rollback failed');
        await kv.delete('half');
      },
    });
    const error = (await builder(database)
      .addChangeUnits(unit)
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('ROLLBACK_FAILED');
    // The data is in between: the marker says so, with the lock released.
    const holder = await database.lock.inspect();
    expect(holder?.inProgress?.changeId).toBe('half');
    expect(holder?.expired).toBe(true);

    rollbackWorks = true; // someone fixed the rollback method
    const result = await builder(database).addChangeUnits(unit).buildRunner().execute();
    expect(result.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['half', 'recovered'],
      ['half', 'executed'],
    ]);
    expect(database.data.get('half')).toBe('partial');
    expect((await database.lock.inspect())?.inProgress ?? null).toBeNull();
  });

  it('a marker whose step was recorded EXECUTED by the dead run is only cleared; nothing is rolled back', async () => {
    const database = new MemoryDatabase();
    const rolledBack: string[] = [];
    const unit = defineChangeUnit<MemoryChangeContext>({
      id: 'done',
      order: '1',
      author: 'dev',
      transactional: false,
      execute: async ({ kv }) => kv.set('done', true),
      rollback: () => void rolledBack.push('done'),
    });
    await builder(database).addChangeUnits(unit).buildRunner().execute();
    await crashedMarker(database, 'done', database.history[0]!.executionId);
    database.history[0] = { ...database.history[0]!, timestamp: new Date() };
    const result = await builder(database)
      .addChangeUnits(unit, defineChangeUnit({ id: 'next', order: '2', author: 'dev', execute() {}, rollback() {} }))
      .buildRunner()
      .execute();
    expect(rolledBack).toEqual([]);
    expect(result.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['done', 'skipped'],
      ['next', 'executed'],
    ]);
  });

  it("transactionStrategy 'execution' runs before-steps outside the transaction and rolls them back when it fails", async () => {
    const database = new MemoryDatabase();
    const unit = (id: string, fail = false) =>
      defineChangeUnit<MemoryChangeContext>({
        id,
        order: id,
        author: 'dev',
        before: async ({ kv }) => kv.set(`${id}-ddl`, true),
        rollbackBefore: async ({ kv }) => kv.delete(`${id}-ddl`),
        async execute({ kv }) {
          await kv.set(id, true);
          if (fail) throw new Error(`${id} failed`);
        },
        rollback: async ({ kv }) => kv.delete(id),
      });
    const error = (await builder(database)
      .addChangeUnits(unit('1'), unit('2', true))
      .setTransactionStrategy('execution')
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('CHANGE_FAILED');
    expect(database.data.size).toBe(0);
    expect(database.history.map((e) => [e.changeId, e.state])).toEqual([
      ['1_before', 'ROLLED_BACK'],
      ['2_before', 'ROLLED_BACK'],
      ['2', 'FAILED'],
    ]);
    const ok = await builder(database).addChangeUnits(unit('1'), unit('2')).setTransactionStrategy('execution').buildRunner().execute();
    expect(ok.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['1_before', 'executed'],
      ['2_before', 'executed'],
      ['1', 'executed'],
      ['2', 'executed'],
    ]);
  });

  it('undo refuses while a crashed run left a change in progress', async () => {
    const database = new MemoryDatabase();
    const unit = defineChangeUnit({ id: 'u', order: '1', author: 'dev', execute() {}, rollback() {} });
    await builder(database).addChangeUnits(unit).buildRunner().execute();
    await crashedMarker(database, 'other', 'dead-run');
    const error = (await builder(database)
      .addChangeUnits(unit)
      .buildRunner()
      .undo({ last: 1 })
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('CHANGE_INTERRUPTED');
    expect(database.history.filter((e) => e.state === 'ROLLED_BACK')).toEqual([]);
  });

  it('the guard refuses database calls a change makes after the run released the lock', async () => {
    const database = new MemoryDatabase();
    let late: Promise<unknown> | undefined;
    const unit = defineChangeUnit<MemoryChangeContext>({
      id: 'leaky',
      order: '1',
      author: 'dev',
      transactional: false,
      execute({ kv }) {
        late = new Promise((resolve) => setTimeout(resolve, 100)).then(() => kv.set('late', true));
      },
      rollback() {},
    });
    await builder(database).addChangeUnits(unit).buildRunner().execute();
    await expect(late).rejects.toMatchObject({ code: 'LOCK_LOST' });
    expect(database.data.has('late')).toBe(false);
  });
});

describe('plain-JavaScript option types are checked', () => {
  it("rejects transactional: 'false', profiles: 'dev' and bad legacy options before anything runs", async () => {
    const database = new MemoryDatabase();
    const bad = defineChangeUnit({ id: 'bad', order: '1', author: 'dev', transactional: 'false', profiles: 'dev', execute() {}, rollback() {} } as never);
    const error = (await builder(database)
      .addChangeUnits(bad)
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    expect(error.message).toContain(`'transactional' must be true or false; got "false"`);
    expect(error.message).toContain("'profiles' must be an array of strings");
    expect(database.calls.size).toBe(0);
    expect(() =>
      builder(database)
        .addChangeUnits(defineChangeUnit({ id: 'a', order: '1', execute() {}, rollback() {} }))
        .setLegacyMigration({ origin: 'old', mapping: { changeId: 7, colour: 'x' }, failFast: 'no' } as never)
        .buildRunner(),
    ).toThrow(
      /legacyMigration.failFast' must be true or false[\s\S]*legacyMigration.mapping.changeId' must name a field[\s\S]*Unknown option 'legacyMigration.mapping.colour'/,
    );
  });
});
