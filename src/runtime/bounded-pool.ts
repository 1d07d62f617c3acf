/** When a {@link boundedPool} stops starting items, and what an item not started gets instead. */
export interface PoolStop<T, R> {
  readonly when: () => boolean;
  readonly instead: (item: T) => R;
}

/**
 * Runs `work` over `items` with at most `concurrency` at once (a new one starts as one ends),
 * results in `items` order. With `stop`, once `stop.when()` says so, items not yet started get
 * `stop.instead(item)` (those running finish).
 */
export async function boundedPool<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>, stop?: PoolStop<T, R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = stop?.when() === true ? stop.instead(item) : await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
