import Database from 'better-sqlite3';
import type { Db } from 'mongodb';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { createTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema } from '../support/postgres-harness.ts';
import { startScript, waitForOutput } from '../support/processes.ts';
import { FERRETDB_URL, POSTGRES_URL } from '../support/servers.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';
import type { WorkerSpec } from './processes/worker-spec.ts';

export const WORKER = 'test/reliability/processes/worker.ts';

export function startWorker(spec: WorkerSpec) {
  return startScript(WORKER, [JSON.stringify(spec)]);
}

/** The worker's final JSON line. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

/** Milliseconds from the worker's `execute()` to its first unit starting (its `STARTED` line). */
export function firstStartMs(stdout: string): number {
  const match = /^STARTED \S+ (\d+)$/m.exec(stdout);
  if (match === null) throw new Error(`no unit started: ${stdout}`);
  return Number(match[1]);
}

/** Milliseconds from the worker's `execute()` to holding the lock (its `ACQUIRED` line). */
export function acquiredMs(stdout: string): number {
  const match = /^ACQUIRED (\d+)$/m.exec(stdout);
  if (match === null) throw new Error(`the lock was never acquired: ${stdout}`);
  return Number(match[1]);
}

/** How many times the worker found the lock held and waited (its `WAITING` lines). A rerun that
 * takes a dead holder's lock at once has none: a count, where comparing two processes' start-up
 * times fails on a loaded machine. */
export function lockWaits(stdout: string): number {
  return stdout.match(/^WAITING /gm)?.length ?? 0;
}

export async function runWorker(spec: WorkerSpec) {
  return startWorker(spec).finished;
}

export { waitForOutput };

/** Units a crash test uses: five units of 10 effect rows. */
export function fiveUnits(transactional?: boolean) {
  return ['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => ({ id, ...(transactional === undefined ? {} : { transactional }) }));
}

export type Driver = WorkerSpec['driver'];

/** Where a worker runs, and the side-effect counter: effect rows per unit. */
export interface Target {
  readonly target: string;
  count(): Promise<Record<string, number>>;
  drop(): Promise<void>;
}

/** A SQL target whose Mongock tables a test can edit by hand. */
export interface SqlTarget extends Target {
  /** Runs one statement (a hand edit of the store, as a human would). */
  exec(sql: string): Promise<void>;
  /** A Mongock table's name as that database qualifies it (default names). */
  readonly tables: { readonly history: string; readonly lock: string; readonly effects: string };
}

/** The MySQL effects table: made before any worker, since DDL inside a unit would commit its transaction. */
const MYSQL_EFFECTS = 'CREATE TABLE IF NOT EXISTS effects (unit VARCHAR(64) NOT NULL, i INT NOT NULL, pid INT NOT NULL) ENGINE=InnoDB';

/** A fresh target; `mysqlUrl` picks another MySQL server than the MariaDB one (Oracle MySQL). */
export async function sqlTargetFor(driver: Exclude<Driver, 'mongodb'>, mysqlUrl?: string): Promise<SqlTarget> {
  switch (driver) {
    case 'sqlite': {
      const file = tempSqliteFile();
      const withDb = <T>(readonly: boolean, work: (db: Database.Database) => T): T => {
        const db = new Database(file.filename, { readonly });
        try {
          return work(db);
        } finally {
          db.close();
        }
      };
      return {
        target: file.filename,
        tables: { history: 'mongockChangeLog', lock: 'mongockLock', effects: 'effects' },
        async count() {
          return withDb(true, (db) => {
            const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'effects'").get();
            if (exists === undefined) return {};
            const rows = db.prepare('SELECT unit, COUNT(*) AS n FROM effects GROUP BY unit').all() as { unit: string; n: number }[];
            return Object.fromEntries(rows.map((row) => [row.unit, row.n]));
          });
        },
        async exec(sql) {
          withDb(false, (db) => db.exec(sql));
        },
        drop: async () => file.cleanup(),
      };
    }
    case 'postgres': {
      const schema = await createTestSchema('mongock_rel');
      return {
        target: `${POSTGRES_URL}|${schema.schema}`,
        tables: { history: schema.table('mongock_change_log'), lock: schema.table('mongock_lock'), effects: schema.table('effects') },
        async count() {
          const { rows } = await schema.admin.query<{ unit: string; n: string }>(`SELECT unit, COUNT(*) AS n FROM ${schema.table('effects')} GROUP BY unit`);
          return Object.fromEntries(rows.map((row) => [row.unit, Number(row.n)]));
        },
        async exec(sql) {
          await schema.admin.query(sql);
        },
        drop: () => schema.drop(),
      };
    }
    case 'mysql': {
      const db = await createTestDatabase('mongock_rel', mysqlUrl);
      await db.admin.query(MYSQL_EFFECTS.replace('effects', db.table('effects')));
      return {
        target: db.uri,
        tables: { history: db.table('mongock_change_log'), lock: db.table('mongock_lock'), effects: db.table('effects') },
        async count() {
          const rows = await db.rows<{ unit: string; n: number }>(`SELECT unit, COUNT(*) AS n FROM ${db.table('effects')} GROUP BY unit`);
          return Object.fromEntries(rows.map((row) => [row.unit, Number(row.n)]));
        },
        async exec(sql) {
          await db.admin.query(sql);
        },
        drop: () => db.drop(),
      };
    }
  }
}

/** A FerretDB target whose Mongock collections a test can edit by hand. */
export interface MongoTarget extends Target {
  readonly db: Db;
}

export async function mongoTargetFor(): Promise<MongoTarget> {
  const fresh = await freshDatabase();
  return {
    target: `${FERRETDB_URL}|${fresh.name}`,
    db: fresh.db,
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

export async function targetFor(driver: Driver): Promise<Target> {
  return driver === 'mongodb' ? mongoTargetFor() : sqlTargetFor(driver);
}
