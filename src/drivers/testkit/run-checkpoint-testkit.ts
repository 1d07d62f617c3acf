import { expect, it } from 'vitest';
import { type BatchSource, batched } from '../../change/batched.ts';
import { defineChangeUnit } from '../../change/define-change-unit.ts';
import type { BatchCheckpoint } from '../../history/batch-checkpoint.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import type { Driver, DriverContext } from '../driver.ts';
import type { DriverHarness } from './driver-harness.ts';
import { TESTKIT_SETTINGS, testkitBuilder, testkitSuite } from './testkit-suite.ts';

const COUNT = 30;
const SIZE = 10;

/** Item keys 0..COUNT-1: driver-agnostic, so the suite judges the driver's checkpoint store and scopes, not a source. */
function numbers(): BatchSource<number, object> {
  return {
    async read(_context, after, size, until) {
      const from = after === undefined ? 0 : (after as number) + 1;
      const to = Math.min(COUNT, from + size, until === undefined ? COUNT : (until as number) + 1);
      return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
    },
    keyOf: (n) => n,
    estimate: async () => COUNT,
  };
}

/**
 * The batched-step cases every driver passes on its real database: each batch's markers and its
 * checkpoint land together (or, without transactions, the checkpoint right after), a time-boxed
 * run stops at a batch boundary and the next resumes, a failed batch leaves the batches before
 * it, and undo of a half-done unit takes back only what the checkpoint covers.
 *
 * @example In the driver's own vitest file, beside the main suite.
 * ```ts
 * import { type DriverHarness, runCheckpointTestkit } from 'mongock/testkit';
 *
 * declare const harness: DriverHarness<{ db: unknown }>;
 *
 * runCheckpointTestkit(harness);
 * ```
 */
export function runCheckpointTestkit<TContext extends object>(harness: DriverHarness<TContext>): void {
  testkitSuite(harness, `driver testkit: ${harness.name}: batched steps and checkpoints`, (fixture) => {
    const unit = (options: { maxRunMs?: number; pauseMs?: number; failAt?: number } = {}) => {
      let failed = false;
      return defineChangeUnit<TContext>({
        id: 'batched',
        order: '001',
        author: 'testkit',
        ...(options.maxRunMs === undefined ? {} : { maxRunMs: options.maxRunMs }),
        execute: batched<number, TContext>({
          source: numbers() as BatchSource<number, TContext>,
          size: SIZE,
          pauseMs: options.pauseMs ?? 0,
          async apply(batch, context) {
            for (const n of batch) {
              if (n === options.failAt && !failed) {
                failed = true;
                throw new Error(`batch refused at ${n}`);
              }
              await fixture().insertMarker(context as DriverContext<TContext>, `item-${n}`);
            }
          },
        }),
        rollback: batched<number, TContext>({
          source: numbers() as BatchSource<number, TContext>,
          size: SIZE,
          async apply(batch, context) {
            for (const n of batch) await fixture().deleteMarkers(context as DriverContext<TContext>, `item-${n}`);
          },
        }),
      });
    };
    const runner = (driver: Driver<TContext>, u: ReturnType<typeof unit>) => testkitBuilder(driver, u).buildRunner();
    const markers = async () => {
      const counts: number[] = [];
      for (let n = 0; n < COUNT; n++) counts.push(await fixture().countMarkers(`item-${n}`));
      return counts;
    };
    const stored = async (): Promise<{ checkpoints: BatchCheckpoint[]; history: ChangeEntry[]; transactions: boolean; lock: unknown }> => {
      const connection = await fixture().driver().connect(TESTKIT_SETTINGS);
      try {
        expect(connection.checkpoints, `${harness.name} has a checkpoint store`).toBeDefined();
        return {
          checkpoints: await connection.checkpoints!.read(),
          history: await connection.readHistory(),
          transactions: connection.capabilities.transactions,
          lock: await connection.lock.inspect(),
        };
      } finally {
        await connection.close();
      }
    };

    it('stops at a batch boundary at maxRunMs with the checkpoint committed, then resumes to exactly-once', async () => {
      expect((await stored()).checkpoints).toEqual([]);
      const first = await runner(fixture().driver(), unit({ maxRunMs: 200, pauseMs: 150 })).execute();
      expect(first.status).toBe('in-progress');
      const half = await stored();
      expect(half.lock).toBeNull();
      expect(half.history).toEqual([]);
      expect(half.checkpoints).toHaveLength(1);
      const checkpoint = half.checkpoints[0]!;
      expect(checkpoint).toMatchObject({ changeId: 'batched', author: 'testkit', direction: 'execute', state: 'running', estimatedTotal: COUNT });
      expect(checkpoint.processed % SIZE).toBe(0);
      expect(checkpoint.processed).toBeGreaterThan(0);
      expect(checkpoint.processed).toBeLessThan(COUNT);
      expect(checkpoint.batches).toBe(checkpoint.processed / SIZE);
      expect(JSON.parse(checkpoint.lastKey!)).toBe(checkpoint.processed - 1);
      // What the checkpoint says is done is exactly what is in the database.
      expect(await markers()).toEqual(Array.from({ length: COUNT }, (_, n) => (n < checkpoint.processed ? 1 : 0)));

      const second = await runner(fixture().driver(), unit()).execute();
      expect(second.status).toBe('completed');
      expect(await markers()).toEqual(Array(COUNT).fill(1));
      const end = await stored();
      expect(end.checkpoints[0]).toMatchObject({ state: 'done', processed: COUNT, batches: COUNT / SIZE, executionId: second.executionId });
      expect(end.history.map((e) => [e.changeId, e.state, e.executionId])).toEqual([['batched', 'EXECUTED', second.executionId]]);
    });

    it('a failed batch leaves the committed batches and the checkpoint before it; with transactions none of its own writes', async () => {
      const failing = unit({ failAt: 15 });
      const error = await runner(fixture().driver(), failing)
        .execute()
        .catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('CHANGE_FAILED');
      const after = await stored();
      expect(after.checkpoints[0]).toMatchObject({ state: 'running', processed: SIZE, lastKey: JSON.stringify(SIZE - 1) });
      expect(after.history.map((e) => e.state)).toEqual(['FAILED']);
      const inFailedBatch = after.transactions ? 0 : 1;
      expect(await markers()).toEqual(Array.from({ length: COUNT }, (_, n) => (n < SIZE ? 1 : n < 15 ? inFailedBatch : 0)));

      await runner(fixture().driver(), failing).execute();
      // Resumed after the checkpoint: the first batch never ran again; without transactions the failed batch's first items did (documented).
      expect(await markers()).toEqual(Array.from({ length: COUNT }, (_, n) => (n >= SIZE && n < 15 ? 1 + inFailedBatch : 1)));
    });

    it('undo of a half-done batched unit rolls back up to its checkpoint and records ROLLED_BACK', async () => {
      const first = await runner(fixture().driver(), unit({ maxRunMs: 200, pauseMs: 150 })).execute();
      expect(first.status).toBe('in-progress');
      const done = (await stored()).checkpoints[0]!.processed;
      const undone = await runner(fixture().driver(), unit()).undo({ last: 1 });
      expect(undone.items.map((i) => [i.changeId, i.outcome])).toEqual([['batched', 'rolled-back']]);
      expect(await markers()).toEqual(Array(COUNT).fill(0));
      const after = await stored();
      expect(after.history.map((e) => e.state)).toEqual(['ROLLED_BACK']);
      expect(after.checkpoints[0]).toMatchObject({ direction: 'rollback', state: 'done', processed: done, untilKey: JSON.stringify(done - 1) });
    });
  });
}
