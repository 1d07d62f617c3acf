import { describe, expect, it } from 'vitest';
import { settleInFlight } from '../../src/runtime/settle-in-flight.ts';

describe('settleInFlight (unit files are imported 64 at a time)', () => {
  it('runs at most `limit` tasks at once, tries every item, and keeps the items order', async () => {
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const task = (n: number) =>
      new Promise<number>((resolve, reject) => {
        running++;
        most = Math.max(most, running);
        // Settled later, newest first, so that completion order differs from item order.
        gates.push(() => {
          running--;
          if (n % 7 === 3) reject(new Error(`item ${n}`));
          else resolve(n * 10);
        });
      });
    const items = Array.from({ length: 40 }, (_, i) => i);
    const done = settleInFlight(items, 5, task);
    while (gates.length > 0 || running > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.pop()?.();
    }
    const outcomes = await done;
    expect(most).toBe(5);
    expect(outcomes).toHaveLength(40);
    outcomes.forEach((outcome, i) => {
      if (i % 7 === 3) expect(outcome).toEqual({ status: 'rejected', reason: new Error(`item ${i}`) });
      else expect(outcome).toEqual({ status: 'fulfilled', value: i * 10 });
    });
  });

  it('an empty list settles at once', async () => {
    expect(await settleInFlight([], 64, async () => 1)).toEqual([]);
  });
});
