import { boundedPool } from './bounded-pool.ts';

/**
 * `Promise.allSettled` of `task` over `items`, in the items' order, with at most `limit` tasks
 * running at once (a new one starts as one settles). Every item is tried.
 */
export function settleInFlight<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  return boundedPool(items, limit, async (item): Promise<PromiseSettledResult<R>> => {
    try {
      return { status: 'fulfilled', value: await task(item) };
    } catch (reason) {
      return { status: 'rejected', reason };
    }
  });
}
