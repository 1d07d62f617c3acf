import { describe, expect, it } from 'vitest';
import { defineChangeUnit, type MemoryChangeContext, MemoryDatabase, MongockBuilder, type MongockError, memoryDriver, silentLogger } from '../../src/index.ts';

const LEASE = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 1_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lock manager', () => {
  it('renews the lease in the background while a long unit runs, so nobody else can take it', async () => {
    const database = new MemoryDatabase();
    let competitor: boolean | undefined;
    const slow = defineChangeUnit<MemoryChangeContext>({
      id: 'slow',
      order: '1',
      author: 'dev',
      transactional: false,
      async execute({ kv }) {
        await sleep(4_000); // longer than the 3 s lease
        const attempt = await database.lock.tryAcquire({ owner: 'competitor', leaseMs: 3_000, hostname: 'h', onLost: () => {} });
        competitor = attempt.acquired;
        await kv.set('slow', 'done');
      },
      rollback() {},
    });
    const result = await new MongockBuilder()
      .setDriver(memoryDriver({ database }))
      .addChangeUnits(slow)
      .setLockConfig(LEASE)
      .setLogger(silentLogger)
      .buildRunner()
      .execute();
    expect(result.executed).toBe(1);
    expect(competitor).toBe(false);
    expect(database.data.get('slow')).toBe('done');
    expect(await database.lock.inspect()).toBeNull(); // released at the end
  }, 15_000);

  it('a holder paused past its lease stops by its local deadline, even if nobody took the lock', async () => {
    const database = new MemoryDatabase();
    const frozen = defineChangeUnit<MemoryChangeContext>({
      id: 'frozen',
      order: '1',
      author: 'dev',
      async execute({ kv }) {
        const until = Date.now() + 3_200;
        while (Date.now() < until) {} // the event loop is blocked: no renewal can run (like SIGSTOP)
        await kv.set('frozen', 'written after the pause');
      },
      rollback() {},
    });
    const error = (await new MongockBuilder()
      .setDriver(memoryDriver({ database }))
      .addChangeUnits(frozen)
      .setLockConfig(LEASE)
      .setLogger(silentLogger)
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('LOCK_LOST');
    expect(error.message).toContain('lease ran out');
    expect(database.data.size).toBe(0);
    expect(database.history).toEqual([]);
  }, 15_000);
});
