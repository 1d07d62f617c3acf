import type { Clock } from '../../src/lock/clock.ts';

/**
 * Time that moves only when the test says (or when the code under test sleeps); renewal ticks
 * fire as it passes them. Given to the lock manager or to a runner (`setClock`), it makes lease
 * expiry, lock waits, `maxRunMs` and batch pauses take no real time, and `slept` counts them.
 */
export class ManualClock implements Clock {
  time = 1_000_000;
  /** Every `sleep()` asked of this clock, in order. */
  readonly slept: number[] = [];
  readonly #repeats = new Set<{ every: number; next: number; tick: () => void }>();

  now = (): number => this.time;

  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    await this.advance(ms);
  }

  repeat(ms: number, tick: () => void): () => void {
    const entry = { every: ms, next: this.time + ms, tick };
    this.#repeats.add(entry);
    return () => this.#repeats.delete(entry);
  }

  /** Moves time on; `ticks: false` is a blocked event loop (SIGSTOP): no renewal runs meanwhile. */
  async advance(ms: number, { ticks = true } = {}): Promise<void> {
    const end = this.time + ms;
    while (ticks) {
      const due = [...this.#repeats].filter((r) => r.next <= end).sort((a, b) => a.next - b.next)[0];
      if (due === undefined) break;
      this.time = due.next;
      due.next += due.every;
      due.tick();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)); // let the renewal's round trip finish
    }
    this.time = end;
  }
}
