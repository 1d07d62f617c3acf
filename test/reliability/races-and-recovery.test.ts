import { describe, expect, it } from 'vitest';
import { acquiredMs, firstStartMs, lastJson, lockWaits, runWorker, startWorker, targetFor, waitForOutput } from './support.ts';

// Issue 18, the figures of the README's reliability section, measured with real processes on
// real servers: concurrent starts (processes × rounds, every unit's effects exactly once, with
// same-host dead-holder detection active), SIGKILL at two named points (MIDWAY inside a
// transactional unit, MIDWAY inside a non-transactional one) judged by the effect rows, and per
// driver the time from a rerun's execute() to its first unit after the second (60 s lease).

const RACERS = 6;
const ROUNDS = 2;
const UNITS = ['u1', 'u2', 'u3', 'u4'];

const figures: string[] = [];

describe.each(['sqlite', 'mongodb', 'postgres', 'mysql'] as const)('%s (real processes)', (driver) => {
  it(`${RACERS} processes started at once, ${ROUNDS} rounds: every unit's effects exactly once`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const target = await targetFor(driver);
      try {
        const spec = { driver, target: target.target, action: 'migrate', units: UNITS.map((id) => ({ id })), lease: 5_000 } as const;
        const results = await Promise.all(Array.from({ length: RACERS }, () => runWorker(spec)));
        for (const result of results) expect(lastJson(result.stdout), result.stderr).not.toHaveProperty('error');
        const applied = results.flatMap((result) => (lastJson(result.stdout).executed as string[] | undefined) ?? []);
        expect(applied.sort()).toEqual(UNITS);
        expect(await target.count()).toEqual(Object.fromEntries(UNITS.map((id) => [id, 10])));
      } finally {
        await target.drop();
      }
    }
  }, 240_000);

  it('SIGKILL inside a transactional unit: its writes die with the transaction, the rerun applies it once (no recovery needed)', async () => {
    const target = await targetFor(driver);
    try {
      // FerretDB has no transactions: there every unit runs outside one, and this is the marker path again.
      const units = [{ id: 'u1' }, { id: 'u2', hang: true }, { id: 'u3' }];
      const victim = startWorker({ driver, target: target.target, action: 'migrate', units, lease: 60_000 });
      await waitForOutput(victim, 'MIDWAY u2');
      victim.kill('SIGKILL');
      await victim.finished;
      const rerun = await runWorker({ driver, target: target.target, action: 'migrate', units: units.map(({ id }) => ({ id })), lease: 60_000 });
      expect(lastJson(rerun.stdout), rerun.stderr).toMatchObject({
        status: 'completed',
        failed: 0,
        executed: ['u2', 'u3'],
        recovered: driver === 'mongodb' ? ['u2'] : [],
      });
      expect(await target.count()).toEqual({ u1: 10, u2: 10, u3: 10 });
    } finally {
      await target.drop();
    }
  }, 120_000);

  it("rerun after SIGKILL inside a non-transactional unit (60 s lease): the dead holder's lock is taken at the first attempt, never waited for", async () => {
    const target = await targetFor(driver);
    try {
      const units = [{ id: 'u1' }, { id: 'u2', transactional: false, hang: true }, { id: 'u3' }];
      const victim = startWorker({ driver, target: target.target, action: 'migrate', units, lease: 60_000 });
      await waitForOutput(victim, 'MIDWAY u2');
      victim.kill('SIGKILL');
      const first = (await victim.finished).stdout;
      const baseline = firstStartMs(first);
      const rerun = await runWorker({ driver, target: target.target, action: 'migrate', units: units.map(({ id }) => ({ id })), lease: 60_000 });
      expect(lastJson(rerun.stdout), rerun.stderr).toMatchObject({ status: 'completed', failed: 0, recovered: ['u2'] });
      const waited = firstStartMs(rerun.stdout);
      // The takeover (lock held) and the first unit (after rolling the interrupted one back), each
      // next to the same moment of a first run on this machine, which waited for nobody: figures
      // only. The proof is a count: the rerun never found the lock held (a time bound failed at load 30+).
      figures.push(
        `${driver}: rerun after SIGKILL held the lock after ${acquiredMs(rerun.stdout)} ms and applied after ${waited} ms (a first run: ${acquiredMs(first)} ms, ${baseline} ms)`,
      );
      console.log(figures.at(-1));
      expect(lockWaits(rerun.stdout), rerun.stdout).toBe(0);
      expect(await target.count()).toEqual({ u1: 10, u2: 10, u3: 10 });
    } finally {
      await target.drop();
    }
  }, 120_000);
});
