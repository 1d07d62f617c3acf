import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import type { DriverHarness } from '../../src/drivers/testkit/index.ts';

const key = (name: string) => `marker:${name}`;

/** The in-memory reference driver, with or without transactions; markers are counters in its store. */
export function memoryHarness(transactions: boolean): DriverHarness<MemoryChangeContext> {
  return {
    name: `memory (${transactions ? 'transactions' : 'no transactions'})`,
    async setup() {
      const database = new MemoryDatabase();
      let passed = 0;
      database.now = () => Date.now() + passed; // the clock its lease lock is judged by
      return {
        driver: () => memoryDriver({ database, transactions }),
        insertMarker: async ({ kv }, name) => kv.set(key(name), ((await kv.get<number>(key(name))) ?? 0) + 1),
        deleteMarkers: async ({ kv }, name) => kv.delete(key(name)),
        countMarkers: async (name) => (database.data.get(key(name)) as number | undefined) ?? 0,
        passTime: async (ms) => {
          passed += ms;
        },
        teardown: async () => {},
      };
    },
  };
}
