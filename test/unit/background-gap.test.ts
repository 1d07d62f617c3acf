import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/index.ts';
import { runInBackground } from '../../src/runner/background.ts';
import type { MigrationResult } from '../../src/runner/migration-result.ts';

// runInBackground() waits BACKGROUND_GAP_MS between slices, at a batch boundary with the lock
// free; stop() during that gap ends the run there: no further slice (it started one, which took
// the lock again and ran another batch), and the gap's timer goes with it (left pending, it kept a
// host that is shutting down alive). Slices and the process's active timers are counted, not timed.

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('runInBackground: stop() during the gap between slices', () => {
  it('ends the run there: no other slice, no timer left pending', async () => {
    let slices = 0;
    let inGap!: () => void;
    const gapReached = new Promise<void>((resolve) => {
      inGap = resolve;
    });
    const before = timers();
    const run = runInBackground(
      async () => {
        slices++;
        // Resolved after this slice returns, once the loop is waiting in the gap.
        setImmediate(inGap);
        return { status: 'in-progress' } as MigrationResult;
      },
      1_000,
      silentLogger,
    );
    await gapReached;
    expect(timers()).toBe(before + 1);
    await run.stop();
    expect(slices).toBe(1);
    expect((await run.done).status).toBe('in-progress');
    expect(timers()).toBe(before);
  });
});
