import { afterEach, describe, expect, it } from 'vitest';
import { random as seededRandom } from '../java/parity-cases.ts';
import { MONGO_TEST_URL } from '../support/mongodb-harness.ts';
import type { CrashPoint } from './processes/batch-worker-spec.ts';
import { type Items, mongoItems, postgresItems, reportOf, type StoredCheckpoint, startBatchWorker } from './support.ts';

// Issue 13, "Tests (real servers)", first point: a batched unit over 1,000,000 PostgreSQL rows and
// over the MongoDB-wire server's documents, SIGKILLed 5 times (at random batch boundaries, in the
// middle of a batch, and after a batch's writes but before its checkpoint), then run to the end in
// a sixth process. Judged by a per-item marker (`n`, +1 per application) and by the checkpoint read
// between kills. The kill points come from a seeded generator: a failure prints its seed, and
// MONGOCK_BATCHES_SEED=<seed> replays it.
//
// FerretDB (our MongoDB-wire server) gets 1,000 documents, not 1,000,000: version 1.24 on SQLite
// scans the whole collection for every keyset read and for every `updateOne` by _id (its _id index
// is on another expression than its queries), so a pass is O(N²) — 133 ms per updated document at
// 10,000 documents, 626 ms at 50,000 (docs/batched-changes.md, "1,000,000 documents on FerretDB").
// Its PostgreSQL backend is no better: `$gt` and a sort by _id are not pushed down, and `{ _id }`
// misses its index, so at 1,000,000 documents a keyset read took 52 s and an updateOne 0.3 s.
// With MONGODB_URI (a real replica set) the same test runs 1,000,000 documents, transactionally.

const SEED = Number(process.env.MONGOCK_BATCHES_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = 5;
const TEN_MINUTES = 600_000;

interface Kill {
  readonly at: CrashPoint;
  /** The n-th batch of that process. */
  readonly batch: number;
}

/** Five kill points at random, with at least one batch boundary and one mid-batch. */
function killPlan(random: () => number, batches: { min: number; max: number }): Kill[] {
  const points: CrashPoint[] = [
    'boundary',
    'mid-batch',
    ...Array.from({ length: KILLS - 2 }, () => (['boundary', 'mid-batch', 'after-apply'] as const)[Math.floor(random() * 3)]!),
  ];
  for (let i = points.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [points[i], points[j]] = [points[j]!, points[i]!];
  }
  return points.map((at) => ({ at, batch: batches.min + Math.floor(random() * (batches.max - batches.min + 1)) }));
}

const withoutZeros = (histogram: Record<number, number>) => Object.fromEntries(Object.entries(histogram).filter(([, count]) => count > 0));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('batched unit SIGKILLed 5 times, then finished (real processes)', () => {
  let items: Items | undefined;
  afterEach(async () => {
    await items?.drop();
    items = undefined;
  });

  /**
   * Kills five workers at the planned points, checking the checkpoint and the markers after each
   * (`afterKill`), then runs a sixth to the end. Returns the checkpoints read between kills.
   */
  async function killFiveTimes(
    data: Items,
    size: number,
    plan: readonly Kill[],
    afterKill: (kill: Kill, written: { first: string; last: string; count: number }) => Promise<void>,
  ) {
    const checkpoints: StoredCheckpoint[] = [];
    for (const kill of plan) {
      const started = performance.now();
      const run = await startBatchWorker({ driver: data.driver, target: data.target, size, crash: { ...kill, signal: 'SIGKILL' }, reportEvery: 50 }).finished;
      const report = reportOf(run);
      expect(run.signal, `seed ${SEED}: ${run.stdout}\n${run.stderr}`).toBe('SIGKILL');
      expect(report.crash).toMatchObject({ at: kill.at, batch: kill.batch });
      console.log(`  killed ${kill.at} in batch ${kill.batch} of its run after ${seconds(performance.now() - started)} (process included)`);
      const checkpoint = await data.checkpoint();
      expect(checkpoint, `seed ${SEED}: no checkpoint after a kill at ${kill.at} ${kill.batch}`).toBeDefined();
      checkpoints.push(checkpoint!);
      await afterKill(kill, { first: report.crash!.first, last: report.crash!.last, count: report.crash!.written });
    }
    const started = performance.now();
    const last = await startBatchWorker({ driver: data.driver, target: data.target, size, reportEvery: 100 }).finished;
    const final = reportOf(last).final;
    console.log(`  the sixth run finished in ${seconds(performance.now() - started)} (process included)`);
    expect(final, `seed ${SEED}: ${last.stdout}\n${last.stderr}`).toMatchObject({ status: 'completed' });
    const end = await data.checkpoint();
    checkpoints.push(end!);
    expect(end).toMatchObject({ processed: data.total, state: 'done' });
    // Monotone: every checkpoint read between kills is at or after the one before.
    for (let i = 1; i < checkpoints.length; i++) {
      expect(checkpoints[i]!.processed, `seed ${SEED}: checkpoints ${JSON.stringify(checkpoints)}`).toBeGreaterThanOrEqual(checkpoints[i - 1]!.processed);
      expect(checkpoints[i]!.batches).toBeGreaterThanOrEqual(checkpoints[i - 1]!.batches);
    }
    expect(await data.executedEntries()).toBe(1);
    return checkpoints;
  }

  it(
    'PostgreSQL, 1,000,000 rows in batches of 1,000: after each kill the checkpoint is exactly the committed batches and no row is marked twice; at the end every row is marked exactly once',
    async () => {
      const random = seededRandom(SEED);
      const total = 1_000_000;
      const size = 1_000;
      const began = performance.now();
      items = await postgresItems(total);
      console.log(`postgres (seed ${SEED}): ${total.toLocaleString('en-US')} rows generated in ${seconds(performance.now() - began)}`);
      const data = items;
      const plan = killPlan(random, { min: 2, max: 150 });
      let committed = 0;
      const checkpoints = await killFiveTimes(data, size, plan, async (kill) => {
        // A transaction per batch: what the killed batch wrote is gone, the batches before it are committed with their checkpoint.
        committed += (kill.at === 'boundary' ? kill.batch : kill.batch - 1) * size;
        expect(await data.checkpoint(), `seed ${SEED}`).toMatchObject({ processed: committed, lastKey: String(committed), state: 'running' });
        expect(withoutZeros(await data.markers()), `seed ${SEED}: no batch applied twice, none half`).toEqual(
          withoutZeros({ 0: total - committed, 1: committed }),
        );
      });
      expect(await data.markers()).toEqual({ 1: total });
      console.log(`postgres: checkpoints between kills ${checkpoints.map((c) => c.processed).join(' → ')}; whole test ${seconds(performance.now() - began)}`);
    },
    TEN_MINUTES,
  );

  it(
    `MongoDB wire (${process.env.MONGODB_URI === undefined ? 'FerretDB standalone, 1,000 documents in batches of 20' : 'MONGODB_URI, 1,000,000 documents in batches of 1,000'}): a crash between a batch and its checkpoint re-applies that one batch, nothing else is applied twice, nothing is missed`,
    async () => {
      const random = seededRandom(SEED + 1);
      const realMongo = process.env.MONGODB_URI !== undefined;
      const total = realMongo ? 1_000_000 : Number(process.env.MONGOCK_BATCHES_FERRETDB_DOCS ?? 1_000);
      const size = realMongo ? 1_000 : 20;
      const began = performance.now();
      items = await mongoItems(total, MONGO_TEST_URL);
      console.log(`mongodb (seed ${SEED}): ${total.toLocaleString('en-US')} documents inserted in ${seconds(performance.now() - began)}`);
      const data = items;
      const transactional = await data.transactional();
      const plan = killPlan(random, { min: 2, max: Math.max(2, Math.floor(total / size / 8)) });
      let committed = 0;
      // What each kill between a batch and its checkpoint left written: applied again by the next run.
      const reapplied: Array<{ first: string; last: string; count: number }> = [];
      await killFiveTimes(data, size, plan, async (kill, written) => {
        committed += (kill.at === 'boundary' ? kill.batch : kill.batch - 1) * size;
        expect(await data.checkpoint(), `seed ${SEED}`).toMatchObject({ processed: committed, state: 'running' });
        const twice = reapplied.reduce((sum, range) => sum + range.count, 0);
        if (transactional || kill.at === 'boundary') {
          expect(withoutZeros(await data.markers()), `seed ${SEED}`).toEqual(withoutZeros({ 0: total - committed, 1: committed - twice, 2: twice }));
          return;
        }
        // Standalone: the killed batch's writes stay (half of it, or all of it after apply) and are not in the checkpoint.
        expect(written.count).toBe(kill.at === 'mid-batch' ? size / 2 : size);
        expect(withoutZeros(await data.markers()), `seed ${SEED}`).toEqual(
          withoutZeros({ 0: total - committed - written.count, 1: committed - twice + written.count, 2: twice }),
        );
        expect(await data.markersBetween(written.first, written.last)).toEqual({ 1: written.count });
        reapplied.push(written);
      });
      const twice = reapplied.reduce((sum, range) => sum + range.count, 0);
      // Nothing worse than the documented re-run: exactly the documents of the interrupted batches
      // carry 2 (at most one batch per such kill), every other one 1, none 0 or 3.
      expect(withoutZeros(await data.markers())).toEqual(withoutZeros({ 1: total - twice, 2: twice }));
      for (const range of reapplied) {
        expect(range.count).toBeLessThanOrEqual(size);
        expect(await data.markersBetween(range.first, range.last)).toEqual({ 2: range.count });
      }
      console.log(
        `mongodb: ${transactional ? 'transactional' : 'standalone'}; ${reapplied.length} kills between a batch and its checkpoint re-applied ${twice} documents (${reapplied.map((range) => range.count).join(' + ') || 'none'}); whole test ${seconds(performance.now() - began)}`,
      );
    },
    TEN_MINUTES,
  );
});
