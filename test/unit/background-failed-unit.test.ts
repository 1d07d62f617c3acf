import { describe, expect, it } from 'vitest';
import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { batched, defineChangeUnit, MongockBuilder, type MongockRunner, silentLogger } from '../../src/index.ts';
import type { MigrationResult } from '../../src/runner/migration-result.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { countApplications, numberSource } from '../support/number-source.ts';

// runner.executeInBackground() attempts a unit at most once per run, as one execute() does. A unit
// that failed without stopping its run (failFast: false) leaves a FAILED entry, and a runAlways
// unit runs whenever planned: both stay pending, so every slice's plan picked them again (6
// attempts in 6 slices, against 1 for execute()). Each slice now resumes at the unit the one before
// stopped at. Attempts are counted by the units themselves; each batch moves the runner's clock by
// the slice's budget, so every slice runs exactly one batch (5 full batches, then a sixth slice finds the source ended: 6 slices).

const SLICE_MS = 5;
const TOTAL = 50;

function units(attempts: Record<string, number>, clock: ManualClock) {
  const count = (id: string) => {
    attempts[id] = (attempts[id] ?? 0) + 1;
  };
  const soft = defineChangeUnit<MemoryChangeContext>({
    id: 'seed-soft',
    order: '001',
    failFast: false,
    async execute() {
      count('seed-soft');
      throw new Error('the seed refuses');
    },
    rollback: () => undefined,
  });
  const always = defineChangeUnit<MemoryChangeContext>({
    id: 'touch',
    order: '002',
    runAlways: true,
    execute: () => count('touch'),
    rollback: () => undefined,
  });
  const backfill = defineChangeUnit<MemoryChangeContext>({
    id: 'backfill',
    order: '003',
    execute: batched<number, MemoryChangeContext>({
      source: numberSource<MemoryChangeContext>(TOTAL),
      size: 10,
      async apply(batch, context) {
        await countApplications(batch, context);
        clock.time += SLICE_MS;
      },
    }),
    rollback: () => undefined,
  });
  return [soft, always, backfill];
}

function runnerOn(database: MemoryDatabase, attempts: Record<string, number>): MongockRunner {
  const clock = new ManualClock();
  return new MongockBuilder()
    .setDriver(memoryDriver({ database }))
    .setLogger(silentLogger)
    .setClock(clock)
    .addChangeUnits(...units(attempts, clock))
    .buildRunner();
}

const outcomes = (result: MigrationResult) => result.items.map(({ changeId, outcome }) => [changeId, outcome]);

describe('executeInBackground(): a unit that failed without stopping its run (failFast: false), before a batched unit of several slices', () => {
  it('is attempted once and reported failed in done, as execute() does; the batched unit finishes; the next start attempts it again', async () => {
    const executedAttempts: Record<string, number> = {};
    const executed = await runnerOn(new MemoryDatabase(), executedAttempts).execute();
    const expected = [
      ['seed-soft', 'failed'],
      ['touch', 'executed'],
      ['backfill', 'executed'],
    ];
    expect(outcomes(executed)).toEqual(expected);
    expect(executedAttempts).toEqual({ 'seed-soft': 1, touch: 1 });

    const database = new MemoryDatabase();
    const attempts: Record<string, number> = {};
    const runner = runnerOn(database, attempts);
    let slices = 0;
    runner.on('lock-acquired', () => void slices++);
    const done = await runner.executeInBackground({ sliceMs: SLICE_MS }).done;
    expect(slices).toBe(6);
    expect(attempts).toEqual({ 'seed-soft': 1, touch: 1 });
    expect(done).toMatchObject({ status: 'completed', executed: 2, failed: 1 });
    expect(outcomes(done)).toEqual(expected);
    expect(done.items[0]).toMatchObject({ changeId: 'seed-soft', outcome: 'failed', error: expect.objectContaining({ message: 'the seed refuses' }) });
    expect(Array.from({ length: TOTAL }, (_, n) => database.data.get(`n:${n}`))).toEqual(Array(TOTAL).fill(1));

    // It waits for the next start: a new run, a new attempt (and the runAlways unit's run).
    const next = await runner.execute();
    expect(outcomes(next)).toEqual([
      ['seed-soft', 'failed'],
      ['touch', 'executed'],
      ['backfill', 'skipped'],
    ]);
    expect(attempts).toEqual({ 'seed-soft': 2, touch: 2 });
  });
});
