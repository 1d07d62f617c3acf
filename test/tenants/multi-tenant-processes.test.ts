import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type Finished, startScript } from '../support/processes.ts';
import { FERRETDB_URL, POSTGRES_URL } from '../support/servers.ts';

const SCRIPT = 'test/tenants/processes/tenant-runner.ts';
const PROCESSES = 4;
const UNITS = 20;

interface Report {
  readonly summary: { total: number; completed: number; upToDate: number; failed: number; skipped: number };
  readonly executed: number;
  readonly connectionsOpened: number;
  readonly errors: string[];
}

function reportOf(finished: Finished): Report {
  const line = finished.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`child printed no result (code ${finished.code}, signal ${finished.signal}): ${finished.stderr}`);
  return JSON.parse(line.slice(7));
}

/** Starts the replicas at once and waits for them all; every one must exit 0. */
async function replicas(kind: string, count: number, prefix: string, env: Record<string, string>): Promise<Report[]> {
  const children = Array.from({ length: PROCESSES }, () => startScript(SCRIPT, [kind, String(count), prefix], env));
  const finished = await Promise.all(children.map((child) => child.finished));
  for (const done of finished) expect(done.code, done.stderr + done.stdout).toBe(0);
  return finished.map(reportOf);
}

/** Every (tenant, unit) pair exactly once, and the replicas shared the tenants between them. */
function expectExactlyOnce(rows: ReadonlyArray<{ tenant: string; unit: string; n: number }>, count: number, reports: readonly Report[]) {
  expect(rows).toHaveLength(count * UNITS);
  expect(rows.filter((row) => row.n !== 1)).toEqual([]);
  expect(reports.reduce((sum, report) => sum + report.executed, 0)).toBe(count * UNITS);
  expect(reports.reduce((sum, report) => sum + report.summary.completed, 0)).toBe(count);
  for (const report of reports) {
    expect(report.summary.failed).toBe(0);
    expect(report.summary.completed + report.summary.upToDate + report.summary.skipped).toBe(count);
  }
}

describe('multi-tenant: 4 OS processes started at once on one tenant set', () => {
  it('200 PostgreSQL schemas × 20 units: each unit once per tenant, connections bounded by the pools', { timeout: 300_000 }, async () => {
    const prefix = `mt_${randomBytes(3).toString('hex')}`;
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    const count = 200;
    try {
      await admin.query(
        `DO $$ BEGIN FOR i IN 0..${count - 1} LOOP EXECUTE format('CREATE SCHEMA %I', '${prefix}_' || i); END LOOP; END $$;
         CREATE SCHEMA "${prefix}_markers"; CREATE TABLE "${prefix}_markers".markers (tenant text NOT NULL, unit text NOT NULL, pid int NOT NULL);`,
      );
      let peak = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [`mongock-tenants-${prefix}`]);
          peak = Math.max(peak, rows[0].n);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      let reports: Report[];
      try {
        reports = await replicas('postgres', count, prefix, { PG_URL: POSTGRES_URL });
      } finally {
        sampling = false;
        await sampler;
      }
      const { rows } = await admin.query(`SELECT tenant, unit, count(*)::int AS n FROM "${prefix}_markers".markers GROUP BY tenant, unit`);
      expectExactlyOnce(rows, count, reports);
      // 4 processes × a pool of 4; never one connection per tenant.
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(PROCESSES * 4);
      for (const report of reports) expect(report.connectionsOpened).toBeLessThanOrEqual(4);
      console.info(`multi-tenant PostgreSQL: ${count} tenants × ${UNITS} units, ${PROCESSES} processes, peak ${peak} server connections`);
    } finally {
      await admin.query(
        `DO $$ BEGIN FOR i IN 0..${count - 1} LOOP EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', '${prefix}_' || i); END LOOP; END $$;
         DROP SCHEMA IF EXISTS "${prefix}_markers" CASCADE;`,
      );
      await admin.end();
    }
  });

  // FerretDB v1 turns each database into a PostgreSQL schema with tables, seconds per database on
  // a loaded machine: the suite runs 40; MONGOCK_TEST_MONGO_TENANTS=200 runs the figure.
  it('MongoDB-wire databases (FerretDB) × 20 units: each unit once per tenant, one client per process', { timeout: 600_000 }, async () => {
    const prefix = `mt_${randomBytes(3).toString('hex')}`;
    const count = Number(process.env.MONGOCK_TEST_MONGO_TENANTS ?? 40);
    const client = new MongoClient(FERRETDB_URL);
    await client.connect();
    try {
      const reports = await replicas('mongodb', count, prefix, { MONGO_URL: FERRETDB_URL });
      const rows = await client
        .db(`${prefix}_markers`)
        .collection('markers')
        .aggregate<{ tenant: string; unit: string; n: number }>([
          { $group: { _id: { tenant: '$tenant', unit: '$unit' }, n: { $sum: 1 } } },
          { $project: { _id: 0, tenant: '$_id.tenant', unit: '$_id.unit', n: 1 } },
        ])
        .toArray();
      expectExactlyOnce(rows, count, reports);
      for (const report of reports) expect(report.connectionsOpened).toBeLessThanOrEqual(8);
      console.info(`multi-tenant FerretDB: ${count} tenants, connections opened per process: ${reports.map((r) => r.connectionsOpened).join(', ')}`);
    } finally {
      const names = Array.from({ length: count }, (_, i) => `${prefix}_${i}`).concat(`${prefix}_markers`);
      for (const name of names) await client.db(name).dropDatabase();
      await client.close();
    }
  });

  it('50 SQLite files × 20 units: each unit once per tenant', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mongock-mt-'));
    const count = 50;
    try {
      const reports = await replicas('sqlite', count, 'mt', { SQLITE_DIR: dir });
      const rows = Array.from({ length: count }, (_, i) => {
        const db = new Database(join(dir, `mt_${i}.db`), { readonly: true });
        try {
          return db.prepare('SELECT tenant, unit, count(*) AS n FROM markers GROUP BY tenant, unit').all() as Array<{
            tenant: string;
            unit: string;
            n: number;
          }>;
        } finally {
          db.close();
        }
      }).flat();
      expectExactlyOnce(rows, count, reports);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
