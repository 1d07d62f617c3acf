import { describe, expect, it } from 'vitest';
import { MemoryKeyValue } from '../../src/drivers/memory/memory-context.ts';
import { MemoryDatabase } from '../../src/drivers/memory/memory-driver.ts';
import { LockManager } from '../../src/lock/lock-manager.ts';
import type { LockPrimitive } from '../../src/lock/lock-primitive.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { ManualClock } from '../support/manual-clock.ts';

const LEASE = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 1_000 };

function setup(config = LEASE) {
  const clock = new ManualClock();
  const database = new MemoryDatabase();
  database.now = clock.now; // the database's clock moves with the process's here
  const manager = (owner: string, onWaiting?: (holder: unknown, waited: number) => void) =>
    new LockManager({ primitive: database.lock, config, lease: true, owner, hostname: 'host', logger: silentLogger, clock, onWaiting });
  const competitor = () => database.lock.tryAcquire({ owner: 'competitor', leaseMs: config.acquiredForMs, hostname: 'elsewhere', onLost: () => {} });
  return { clock, database, manager, competitor };
}

describe('lock manager (manual clock)', () => {
  it('renews the lease in the background while a long unit runs, so nobody else can take it', async () => {
    const { clock, database, manager, competitor } = setup();
    const lock = manager('holder');
    expect(await lock.acquire()).toBeNull();
    await clock.advance(4_000); // longer than the 3 s lease
    expect((await competitor()).acquired).toBe(false);
    await expect(lock.ensure()).resolves.toBeUndefined();
    await lock.release();
    expect(await database.lock.inspect()).toBeNull(); // released at the end
  });

  it('a holder paused past its lease stops by its local deadline, and its handles refuse to write', async () => {
    const { clock, database, manager } = setup();
    const lock = manager('holder');
    await lock.acquire();
    await clock.advance(3_200, { ticks: false }); // the event loop is blocked: no renewal can run
    await expect(lock.ensure()).rejects.toMatchObject({ code: 'LOCK_LOST', message: expect.stringContaining('lease ran out') });
    await expect(new MemoryKeyValue(database.data, lock).set('frozen', 'written after the pause')).rejects.toMatchObject({ code: 'LOCK_LOST' });
    expect(database.data.size).toBe(0);
    await lock.release();
  });

  it("without renewal the lease is the database's to give away: the competitor gets it", async () => {
    const { clock, manager, competitor } = setup();
    await manager('holder').acquire();
    await clock.advance(3_000, { ticks: false });
    expect((await competitor()).acquired).toBe(true);
  });

  it('waits tryFrequencyMs between attempts and gives up after quitTryingAfterMs, naming the holder', async () => {
    const { clock, manager, competitor } = setup();
    expect((await competitor()).acquired).toBe(true);
    const waits: number[] = [];
    const started = clock.now();
    const error = await manager('waiter', (_holder, waited) => waits.push(waited))
      .acquire()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOCK_NOT_ACQUIRED', message: expect.stringContaining('held by competitor on elsewhere') });
    expect(waits.length).toBeGreaterThanOrEqual(9);
    expect(waits.every((waited, i) => i === 0 || waited - waits[i - 1]! === LEASE.tryFrequencyMs)).toBe(true);
    expect(clock.now() - started).toBeLessThanOrEqual(LEASE.quitTryingAfterMs);
  });

  it('stops waiting when the holder did the work meanwhile', async () => {
    const { manager, competitor } = setup();
    await competitor();
    let asked = 0;
    const result = await manager('waiter').acquire(async () => ++asked < 3);
    expect(result).toBe('not-needed');
    expect(asked).toBe(3);
  });

  it('writes the lock record one write at a time: a renewal due while the in-progress marker is being written waits for it', async () => {
    const { clock, database } = setup();
    // The memory lock, each write held open until the test lets it finish, recording overlaps.
    const log: string[] = [];
    let open = 0;
    let overlaps = 0;
    const gates: Array<() => void> = [];
    const held = async <T>(name: string, write: () => Promise<T>): Promise<T> => {
      if (++open > 1) overlaps++;
      log.push(`${name} starts`);
      await new Promise<void>((resolve) => gates.push(resolve));
      try {
        return await write();
      } finally {
        open--;
        log.push(`${name} ends`);
      }
    };
    const inner = database.lock;
    const wrapped: Partial<LockPrimitive> = {
      renew: (lease, leaseMs) => held('renew', () => inner.renew(lease, leaseMs)),
      markInProgress: (lease, change) => held('mark', () => inner.markInProgress(lease, change)),
    };
    const primitive = new Proxy(inner, {
      get: (target, name) => wrapped[name as keyof LockPrimitive] ?? Reflect.get(target, name, target).bind(target),
    });
    const lock = new LockManager({ primitive, config: LEASE, lease: true, owner: 'holder', hostname: 'host', logger: silentLogger, clock });
    await lock.acquire();
    const settle = async () => {
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    const marking = lock.markInProgress({ changeId: 'c1', author: 'a', executionId: 'e', startedAt: new Date(), hostname: 'host', step: 'execute' });
    await settle();
    expect(log).toEqual(['mark starts']);
    // The renewal timer fires while the marker write is under way: the renewal waits for it.
    const ticking = clock.advance(1_000);
    await settle();
    expect(log).toEqual(['mark starts']);
    gates.shift()!();
    await settle();
    expect(log).toEqual(['mark starts', 'mark ends', 'renew starts']);
    gates.shift()!();
    await Promise.all([marking, ticking]);
    expect(log).toEqual(['mark starts', 'mark ends', 'renew starts', 'renew ends']);
    expect(overlaps).toBe(0);
    expect((await database.lock.inspect())?.inProgress?.changeId).toBe('c1');
    await lock.release();
  });
});
