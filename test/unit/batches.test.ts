import { beforeEach, describe, expect, it } from 'vitest';
import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { type BatchProgress, type BatchSource, batched, defineChangeUnit, MongockBuilder, type MongockError, silentLogger } from '../../src/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

type Ctx = MemoryChangeContext;

/** A source over the numbers 0..count-1; the memory "database" counts each number's applications under `n:<i>`. */
function numbers(count: number): BatchSource<number, Ctx> & { reads: Array<{ after: unknown; until: unknown }> } {
  const reads: Array<{ after: unknown; until: unknown }> = [];
  return {
    reads,
    async read(_ctx, after, size, until) {
      reads.push({ after, until });
      const from = after === undefined ? 0 : (after as number) + 1;
      const to = Math.min(count, from + size, until === undefined ? count : (until as number) + 1);
      return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
    },
    keyOf: (n) => n,
    estimate: async () => count,
    description: `numbers below ${count}`,
  };
}

async function bump({ kv }: Ctx, key: string): Promise<void> {
  await kv.set(key, ((await kv.get<number>(key)) ?? 0) + 1);
}

function applied(database: MemoryDatabase, count: number, prefix = 'n'): number[] {
  return Array.from({ length: count }, (_, i) => (database.data.get(`${prefix}:${i}`) as number | undefined) ?? 0);
}

interface UnitOptions {
  readonly id?: string;
  readonly count?: number;
  readonly size?: number;
  readonly pauseMs?: number | { adaptive: number };
  readonly maxRunMs?: number;
  /** How long each batch takes on the runner's clock. */
  readonly batchMs?: number;
  readonly failAt?: { n: number; times: number };
  readonly hangAt?: number;
  /** Called when the unit reaches `hangAt`, just before it hangs. */
  readonly onHang?: () => void;
  readonly batchedRollback?: boolean;
  readonly failFast?: boolean;
}

function batchedUnit(options: UnitOptions = {}) {
  const { count = 100, size = 10, failAt, hangAt } = options;
  let failures = 0;
  return defineChangeUnit<Ctx>({
    id: options.id ?? 'renumber',
    order: options.id === undefined ? '002' : `002-${options.id}`,
    author: 'data',
    ...(options.maxRunMs === undefined ? {} : { maxRunMs: options.maxRunMs }),
    ...(options.failFast === undefined ? {} : { failFast: options.failFast }),
    execute: batched<number, Ctx>({
      source: numbers(count),
      size,
      pauseMs: options.pauseMs ?? 0,
      async apply(batch, ctx) {
        if (options.batchMs !== undefined) clock.time += options.batchMs;
        for (const n of batch) {
          if (hangAt === n) {
            options.onHang?.();
            await new Promise(() => undefined); // the process "dies" here: this run never goes on
          }
          if (failAt !== undefined && failAt.n === n && failures < failAt.times) {
            failures++;
            throw new Error(`refused ${n}`);
          }
          await bump(ctx, `${options.id === undefined ? 'n' : options.id}:${n}`);
        }
      },
    }),
    rollback:
      options.batchedRollback === false
        ? async () => undefined
        : batched<number, Ctx>({
            source: numbers(count),
            size,
            async apply(batch, ctx) {
              for (const n of batch) await bump(ctx, `undo:${n}`);
            },
          }),
  });
}

const before = defineChangeUnit<Ctx>({ id: 'first', order: '001', author: 'data', execute: (ctx) => bump(ctx, 'first'), rollback: async () => undefined });
const after = defineChangeUnit<Ctx>({ id: 'last', order: '003', author: 'data', execute: (ctx) => bump(ctx, 'last'), rollback: async () => undefined });

// The runners' time: pauses, maxRunMs and lock waits move it instead of waiting (a fresh one per test).
let clock = new ManualClock();
beforeEach(() => {
  clock = new ManualClock();
});

function runner(database: MemoryDatabase, units: readonly object[], configure: (b: MongockBuilder) => MongockBuilder = (b) => b, transactions = true) {
  const builder = new MongockBuilder()
    .setDriver(memoryDriver({ database, transactions }))
    .setLogger(silentLogger)
    .setClock(clock)
    .setLockQuickConfig()
    .addChangeUnits(...(units as never[]));
  return configure(builder).buildRunner();
}

describe.each([true, false])('batched unit (memory driver, transactions: %s)', (transactions) => {
  it('applies every item once, in batches, with one EXECUTED entry and a done checkpoint', async () => {
    const database = new MemoryDatabase();
    const progress: BatchProgress[] = [];
    // 10 ms of the runner's clock per batch: a rate (100 items/s) and an ETA to report.
    const r = runner(database, [before, batchedUnit({ count: 95, size: 10, batchMs: 10 }), after], undefined, transactions);
    r.on('batch-progress', (p) => progress.push(p));
    const result = await r.execute();
    expect(result.status).toBe('completed');
    expect(applied(database, 95)).toEqual(Array(95).fill(1));
    expect(database.history.filter((e) => e.changeId === 'renumber').map((e) => e.state)).toEqual(['EXECUTED']);
    const checkpoint = [...database.checkpoints!.values()][0]!;
    expect(checkpoint).toMatchObject({ changeId: 'renumber', author: 'data', direction: 'execute', state: 'done', batches: 10, processed: 95, lastKey: '94' });
    expect(progress.map((p) => p.processed)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 95]);
    expect(progress.every((p) => p.estimatedTotal === 95 && p.direction === 'execute' && p.changeId === 'renumber')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ batches: 10, done: true, etaMs: 0 });
    expect(progress[0]!.done).toBe(false);
    expect(database.data.get('last')).toBe(1);
  });

  it('stops at a batch boundary at maxRunMs, in-progress, later units not run, lock released; the next runs resume', async () => {
    const database = new MemoryDatabase();
    const unit = batchedUnit({ count: 60, size: 10, pauseMs: 40 });
    const first = await runner(database, [before, unit, after], (b) => b.setMaxRunMs(60), transactions).execute();
    expect(first.status).toBe('in-progress');
    expect(first.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['first', 'executed'],
      ['renumber', 'in-progress'],
      ['last', 'skipped'],
    ]);
    expect(first.failed).toBe(0);
    const checkpoint = [...database.checkpoints!.values()][0]!;
    expect(checkpoint.state).toBe('running');
    expect(checkpoint.processed % 10).toBe(0);
    expect(checkpoint.processed).toBeGreaterThan(0);
    expect(checkpoint.processed).toBeLessThan(60);
    // Exactly the checkpointed items are applied: the stop was at a batch boundary.
    expect(applied(database, 60).filter((n) => n === 1)).toHaveLength(checkpoint.processed);
    expect(database.history.some((e) => e.changeId === 'renumber')).toBe(false);
    expect(database.data.has('last')).toBe(false);
    expect(await database.lock.inspect()).toBeNull();
    let runs = 1;
    for (let result = first; result.status === 'in-progress'; runs++) {
      result = await runner(database, [before, unit, after], (b) => b.setMaxRunMs(60), transactions).execute();
      expect(runs).toBeLessThan(10);
    }
    expect(runs).toBeGreaterThan(1);
    expect(applied(database, 60)).toEqual(Array(60).fill(1));
    expect(database.history.filter((e) => e.changeId === 'renumber').map((e) => e.state)).toEqual(['EXECUTED']);
    expect(database.data.get('last')).toBe(1);
  });

  it("a unit's own maxRunMs bounds it; failOnUnfinishedBatches rejects with BATCHES_UNFINISHED after saving the checkpoint", async () => {
    const database = new MemoryDatabase();
    const unit = batchedUnit({ count: 50, size: 10, pauseMs: 40, maxRunMs: 30 });
    const error = (await runner(database, [unit], (b) => b.setFailOnUnfinishedBatches(), transactions)
      .execute()
      .catch((e: unknown) => e)) as MongockError;
    expect(error.code).toBe('BATCHES_UNFINISHED');
    expect(error.changeId).toBe('renumber');
    expect([...database.checkpoints!.values()][0]!.processed).toBe(10);
    expect(await database.lock.inspect()).toBeNull();
  });

  it('a failed batch records FAILED, keeps the batches before it, and the next run resumes after them', async () => {
    const database = new MemoryDatabase();
    const unit = batchedUnit({ count: 50, size: 10, failAt: { n: 25, times: 1 } });
    const error = (await runner(database, [unit], undefined, transactions)
      .execute()
      .catch((e: unknown) => e)) as MongockError;
    expect(error.code).toBe('CHANGE_FAILED');
    expect(database.history.map((e) => e.state)).toEqual(['FAILED']);
    expect([...database.checkpoints!.values()][0]!.processed).toBe(20);
    await runner(database, [unit], undefined, transactions).execute();
    const counts = applied(database, 50);
    // In a transaction the failed batch left nothing; without one, the items before 25 in it ran twice (documented).
    const expected = Array.from({ length: 50 }, (_, i) => (!transactions && i >= 20 && i < 25 ? 2 : 1));
    expect(counts).toEqual(expected);
    expect(database.history.map((e) => e.state)).toEqual(['FAILED', 'EXECUTED']);
  });

  it('pauses between batches: fixed and adaptive', async () => {
    const database = new MemoryDatabase();
    await runner(database, [batchedUnit({ count: 30, size: 10, pauseMs: 50 })], undefined, transactions).execute();
    // 30 items in batches of 10: three full batches and an empty one that ends the source; a pause after each full one (none after the last).
    expect(clock.slept).toEqual([50, 50, 50]);
    clock.slept.length = 0;
    const adaptive = new MemoryDatabase();
    // Each batch takes 20 ms of the runner's clock: half of that is paused after each but the last.
    await runner(adaptive, [batchedUnit({ count: 30, size: 10, pauseMs: { adaptive: 0.5 }, batchMs: 20 })], undefined, transactions).execute();
    expect(clock.slept).toEqual([10, 10, 10]);
    expect(applied(adaptive, 30)).toEqual(Array(30).fill(1));
  });

  it('undo of a half-done unit rolls back up to the checkpoint only; undo of a done one rolls back everything', async () => {
    const database = new MemoryDatabase();
    const unit = batchedUnit({ count: 60, size: 10, pauseMs: 40 });
    const first = await runner(database, [unit], (b) => b.setMaxRunMs(60), transactions).execute();
    expect(first.status).toBe('in-progress');
    const done = [...database.checkpoints!.values()][0]!.processed;
    const undone = await runner(database, [unit], undefined, transactions).undo({ last: 1 });
    expect(undone.items.map((i) => [i.changeId, i.outcome])).toEqual([['renumber', 'rolled-back']]);
    expect(applied(database, 60, 'undo')).toEqual(Array.from({ length: 60 }, (_, i) => (i < done ? 1 : 0)));
    expect(database.history.map((e) => e.state)).toEqual(['ROLLED_BACK']);
    // Pending again: a new run starts from the beginning.
    await runner(database, [unit], undefined, transactions).execute();
    expect(applied(database, 60)).toEqual(Array.from({ length: 60 }, (_, i) => (i < done ? 2 : 1)));
    await runner(database, [unit], undefined, transactions).undo({ last: 1 });
    expect(applied(database, 60, 'undo')).toEqual(Array.from({ length: 60 }, (_, i) => (i < done ? 2 : 1)));
    expect(database.history.map((e) => e.state)).toEqual(['ROLLED_BACK', 'EXECUTED', 'ROLLED_BACK']);
  });
});

describe('batched unit interrupted by a crash (memory driver without transactions)', () => {
  it('resumes after the checkpoint on the next holder, not CHANGE_INTERRUPTED; at most the batch in flight runs twice', async () => {
    const database = new MemoryDatabase();
    // The "dead" run: it hangs for good inside batch 3 (item 23), holding the lock, its marker set.
    await new Promise<void>((hung) => void runner(database, [batchedUnit({ count: 50, size: 10, hangAt: 23, onHang: hung })], undefined, false).execute());
    expect((await database.lock.inspect())?.inProgress?.changeId).toBe('renumber');
    // Its lease runs out.
    database.now = () => Date.now() + 600_000;
    const result = await runner(database, [batchedUnit({ count: 50, size: 10 })], undefined, false).execute();
    expect(result.status).toBe('completed');
    const counts = applied(database, 50);
    expect(counts.slice(0, 20)).toEqual(Array(20).fill(1));
    expect(counts.slice(20, 23)).toEqual([2, 2, 2]);
    expect(counts.slice(23)).toEqual(Array(27).fill(1));
    expect(database.history.filter((e) => e.changeId === 'renumber').map((e) => e.state)).toEqual(['EXECUTED']);
  });
});

describe('batched() validation at load', () => {
  it('names the unit, the field and the rule, with INVALID_CHANGE_UNIT, before anything runs', async () => {
    const database = new MemoryDatabase();
    const broken = defineChangeUnit<Ctx>({
      id: 'broken-batches',
      order: '001',
      author: 'data',
      maxRunMs: -1,
      execute: batched<number, Ctx>({ source: { read: async () => [] } as never, size: 0, apply: undefined as never, pauseMs: -5 }),
      rollback: async () => undefined,
    });
    const error = (await runner(database, [broken])
      .execute()
      .catch((e: unknown) => e)) as MongockError;
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    const text = error.problems!.join('\n');
    expect(text).toContain("change unit 'broken-batches'");
    expect(text).toContain("'execute' is batched() without a source");
    expect(text).toContain("'size' must be a whole number from 1 to 100000; got 0");
    expect(text).toContain('needs an apply(batch, context) function');
    expect(text).toContain("'pauseMs' must be milliseconds >= 0");
    expect(text).toContain("'maxRunMs' must be a whole number");
    expect(database.history).toHaveLength(0);
  });

  it('refuses maxRunMs on a unit whose execute is not batched', async () => {
    const plain = defineChangeUnit<Ctx>({ id: 'plain', order: '001', maxRunMs: 100, execute: async () => undefined, rollback: async () => undefined });
    const error = (await runner(new MemoryDatabase(), [plain])
      .execute()
      .catch((e: unknown) => e)) as MongockError;
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    expect(error.problems!.join('\n')).toContain("'maxRunMs' applies to a batched() execute only");
  });
});

/** A checkpoint map that counts the store's reads (the memory store lists its values once per `read()`). */
class CountedCheckpoints extends Map<string, import('../../src/history/batch-checkpoint.ts').BatchCheckpoint> {
  reads = 0;
  override values() {
    this.reads++;
    return super.values();
  }
}

describe('checkpoint reads and progress in plans (memory driver)', () => {
  // Three batched units, each stopped after its first batch by a refused second one (failFast: false).
  const units = (refuseSecondBatch = false) =>
    ['a', 'b', 'c'].map((id) => batchedUnit({ id, count: 25, size: 10, ...(refuseSecondBatch ? { failAt: { n: 10, times: 1 }, failFast: false } : {}) }));

  async function halfDone(database: MemoryDatabase) {
    const checkpoints = new CountedCheckpoints();
    database.checkpoints = checkpoints;
    await runner(database, units(true)).execute();
    expect([...checkpoints.values()].map((c) => [c.changeId, c.processed, c.state])).toEqual([
      ['a', 10, 'running'],
      ['b', 10, 'running'],
      ['c', 10, 'running'],
    ]);
    checkpoints.reads = 0;
    return checkpoints;
  }

  it('a run resuming three batched units reads the checkpoint store once, not once per unit', async () => {
    const database = new MemoryDatabase();
    const checkpoints = await halfDone(database);
    const result = await runner(database, units()).execute();
    expect(result.executed).toBe(3);
    expect(checkpoints.reads).toBe(1);
    for (const id of ['a', 'b', 'c']) expect(applied(database, 25, id)).toEqual(Array(25).fill(1));
  });

  it('undo of three half-done units reads the store before the lock and once under it; their rollbacks start from that read', async () => {
    const database = new MemoryDatabase();
    const checkpoints = await halfDone(database);
    const undone = await runner(database, units()).undo({ last: 3 });
    expect(undone.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['c', 'rolled-back'],
      ['b', 'rolled-back'],
      ['a', 'rolled-back'],
    ]);
    expect(checkpoints.reads).toBe(2);
    expect(applied(database, 25, 'undo')).toEqual(Array.from({ length: 25 }, (_, i) => (i < 10 ? 3 : 0)));
  });

  it("plan() and planUndo() report a half-done unit's progress as status() does", async () => {
    const database = new MemoryDatabase();
    await halfDone(database);
    const r = runner(database, units());
    const status = (await r.status()).units.find((u) => u.changeId === 'b')!;
    expect(status.batch).toMatchObject({ direction: 'execute', inProgress: true, batches: 1, processed: 10, estimatedTotal: 25, lastKey: '9' });
    const plan = (await r.plan()).units.find((u) => u.changeId === 'b')!;
    expect(plan.batch).toEqual(status.batch);
    const undoPlan = await r.planUndo({ last: 3 });
    expect(undoPlan.units.map((u) => u.changeId)).toEqual(['c', 'b', 'a']);
    expect(undoPlan.units.find((u) => u.changeId === 'b')!.batch).toEqual(status.batch);
    // Finished: the plan has nothing left; the undo plan shows the done checkpoint.
    await r.execute();
    expect((await r.plan()).units).toEqual([]);
    expect((await r.planUndo({ last: 1 })).units[0]!.batch).toMatchObject({ inProgress: false, processed: 25, batches: 3 });
  });
});
