import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { createTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema } from '../support/postgres-harness.ts';
import { FERRETDB_URL, POSTGRES_URL } from '../support/servers.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';
import type { WorkerSpec } from './processes/worker-spec.ts';
import { firstStartMs, lastJson, runWorker, startWorker, waitForOutput } from './support.ts';

// Issue 18, the figures of the README's reliability section, measured with real processes on
// real servers: concurrent starts (processes × rounds, every unit's effects exactly once, with
// same-host dead-holder detection active), and per driver the time from a rerun's execute() to
// its first unit after the holder was SIGKILLed inside a non-transactional unit (60 s lease).

const RACERS = 6;
const ROUNDS = 2;
const UNITS = ['u1', 'u2', 'u3', 'u4'];

type Driver = WorkerSpec['driver'];

interface Target {
  readonly target: string;
  count(): Promise<Record<string, number>>;
  drop(): Promise<void>;
}

async function targetFor(driver: Driver): Promise<Target> {
  switch (driver) {
    case 'sqlite': {
      const file = tempSqliteFile();
      return {
        target: file.filename,
        async count() {
          const db = new Database(file.filename, { readonly: true });
          try {
            const rows = db.prepare('SELECT unit, COUNT(*) AS n FROM effects GROUP BY unit').all() as { unit: string; n: number }[];
            return Object.fromEntries(rows.map((row) => [row.unit, row.n]));
          } finally {
            db.close();
          }
        },
        drop: async () => file.cleanup(),
      };
    }
    case 'mongodb': {
      const fresh = await freshDatabase();
      return {
        target: `${FERRETDB_URL}|${fresh.name}`,
        async count() {
          const rows = await fresh.db
            .collection('effects')
            .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$unit', n: { $count: {} } } }])
            .toArray();
          return Object.fromEntries(rows.map((row) => [row._id, row.n]));
        },
        drop: () => fresh.drop(),
      };
    }
    case 'postgres': {
      const schema = await createTestSchema('mongock_rel');
      return {
        target: `${POSTGRES_URL}|${schema.schema}`,
        async count() {
          const { rows } = await schema.admin.query<{ unit: string; n: string }>(`SELECT unit, COUNT(*) AS n FROM "${schema.schema}".effects GROUP BY unit`);
          return Object.fromEntries(rows.map((row) => [row.unit, Number(row.n)]));
        },
        drop: () => schema.drop(),
      };
    }
    case 'mysql': {
      const db = await createTestDatabase('mongock_rel');
      return {
        target: db.uri,
        async count() {
          const rows = await db.rows<{ unit: string; n: number }>(`SELECT unit, COUNT(*) AS n FROM ${db.table('effects')} GROUP BY unit`);
          return Object.fromEntries(rows.map((row) => [row.unit, Number(row.n)]));
        },
        drop: () => db.drop(),
      };
    }
  }
}

const figures: string[] = [];

// MySQL is not in this list yet: its worker's effect table did not work in time (test/e2e/mysql-processes covers its SIGKILL recovery).
describe.each(['sqlite', 'mongodb', 'postgres'] as const)('%s (real processes)', (driver) => {
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

  it('rerun after SIGKILL inside a non-transactional unit (60 s lease): applying within 1 s of a run that waits for nobody', async () => {
    const target = await targetFor(driver);
    try {
      const units = [{ id: 'u1' }, { id: 'u2', transactional: false, hang: true }, { id: 'u3' }];
      const victim = startWorker({ driver, target: target.target, action: 'migrate', units, lease: 60_000 });
      await waitForOutput(victim, 'MIDWAY u2');
      victim.kill('SIGKILL');
      const baseline = firstStartMs((await victim.finished).stdout);
      const rerun = await runWorker({ driver, target: target.target, action: 'migrate', units: units.map(({ id }) => ({ id })), lease: 60_000 });
      expect(lastJson(rerun.stdout), rerun.stderr).toMatchObject({ status: 'completed', failed: 0, recovered: ['u2'] });
      const waited = firstStartMs(rerun.stdout);
      figures.push(`${driver}: rerun after SIGKILL applied after ${waited} ms (a first run: ${baseline} ms)`);
      console.log(figures.at(-1));
      expect(waited - baseline).toBeLessThan(1_000);
      expect(await target.count()).toEqual({ u1: 10, u2: 10, u3: 10 });
    } finally {
      await target.drop();
    }
  }, 120_000);
});
