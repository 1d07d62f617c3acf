import type { MemoryChangeContext } from '../../src/drivers/index.ts';
import type { BatchSource } from '../../src/index.ts';

/** The numbers 0..total-1 in key order, as a batched step's source: a test's items, with no table behind them. */
export function numberSource<C>(total: number): BatchSource<number, C> {
  return {
    async read(_ctx, after, size) {
      const from = after === undefined ? 0 : (after as number) + 1;
      return Array.from({ length: Math.max(0, Math.min(total, from + size) - from) }, (_, i) => from + i);
    },
    keyOf: (n) => n,
  };
}

/** Counts one more application of each number of `batch` under `n:<number>`: a test then sees what ran twice. */
export async function countApplications(batch: readonly number[], { kv }: MemoryChangeContext): Promise<void> {
  for (const n of batch) await kv.set(`n:${n}`, ((await kv.get<number>(`n:${n}`)) ?? 0) + 1);
}
