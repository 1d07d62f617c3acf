/**
 * Runs `work` over `items` with at most `concurrency` at once, results in `items` order. Once
 * `shouldStop()` says so, items not yet started get `notStarted(item)` instead (those running finish).
 */
export async function boundedPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
  shouldStop: () => boolean,
  notStarted: (item: T) => R,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = shouldStop() ? notStarted(item) : await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
