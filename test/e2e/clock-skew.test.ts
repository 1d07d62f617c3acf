/**
 * "Is executed" never depends on a runner's clock: separate OS processes whose wall clocks are
 * 10 minutes ahead or behind (a preloaded module shifts `Date`) migrate and undo on one history,
 * on every driver, and every decision is the one an unskewed host makes. Judged by the side
 * effects the units append (one row per execution and per rollback).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { createTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema } from '../support/postgres-harness.ts';
import { projectRoot, startScript } from '../support/processes.ts';
import { FERRETDB_URL, POSTGRES_URL } from '../support/servers.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';

const CLOCK_PRELOAD = pathToFileURL(join(projectRoot, 'test/e2e/processes/mongodb-clock-offset.mjs')).href;
const TEN_MINUTES = 10 * 60_000;

interface Target {
  readonly kind: 'sqlite' | 'postgres' | 'mysql' | 'mongodb';
  readonly target: string;
  /** Every (name, what) row of `effects`, in no particular order. */
  effects(): Promise<Array<{ name: string; what: string }>>;
  /** The `timestamp` of every history entry, as the database holds it. */
  timestamps(): Promise<Date[]>;
  drop(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const file = tempSqliteFile();
  const db = new Database(file.filename);
  db.exec('CREATE TABLE effects (name TEXT NOT NULL, what TEXT NOT NULL)');
  db.close();
  return {
    kind: 'sqlite',
    target: file.filename,
    effects: async () => {
      const reader = new Database(file.filename, { readonly: true });
      try {
        return reader.prepare('SELECT name, what FROM effects').all() as Array<{ name: string; what: string }>;
      } finally {
        reader.close();
      }
    },
    timestamps: async () => {
      const reader = new Database(file.filename, { readonly: true });
      try {
        return (reader.prepare('SELECT timestamp FROM mongockChangeLog').all() as Array<{ timestamp: string }>).map((row) => new Date(row.timestamp));
      } finally {
        reader.close();
      }
    },
    drop: async () => file.cleanup(),
  };
}

async function postgresTarget(): Promise<Target> {
  const db = await createTestSchema('mongock_skew');
  await db.admin.query(`CREATE TABLE ${db.table('effects')} (name text NOT NULL, what text NOT NULL)`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', db.schema);
  return {
    kind: 'postgres',
    target: url.href,
    effects: async () => (await db.admin.query(`SELECT name, what FROM ${db.table('effects')}`)).rows,
    timestamps: async () => (await db.admin.query(`SELECT "timestamp" FROM ${db.table('mongock_change_log')}`)).rows.map((row) => row.timestamp as Date),
    drop: () => db.drop(),
  };
}

async function mysqlTarget(): Promise<Target> {
  const db = await createTestDatabase('mongock_skew');
  const admin = await mysql.createConnection({ uri: db.uri });
  await admin.query('CREATE TABLE effects (name VARCHAR(16) NOT NULL, what VARCHAR(16) NOT NULL) ENGINE=InnoDB');
  return {
    kind: 'mysql',
    target: db.uri,
    effects: async () => (await admin.query('SELECT name, what FROM effects'))[0] as Array<{ name: string; what: string }>,
    timestamps: async () =>
      ((await admin.query("SELECT CONCAT(REPLACE(CAST(`timestamp` AS CHAR), ' ', 'T'), 'Z') AS ts FROM mongock_change_log"))[0] as Array<{ ts: string }>).map(
        (row) => new Date(row.ts),
      ),
    drop: async () => {
      await admin.end();
      await db.drop();
    },
  };
}

async function mongoTarget(): Promise<Target> {
  const db = await freshDatabase();
  const url = new URL(FERRETDB_URL);
  url.pathname = `/${db.name}`;
  return {
    kind: 'mongodb',
    target: url.href,
    effects: async () =>
      (await db.db
        .collection('effects')
        .find({}, { projection: { _id: 0 } })
        .toArray()) as unknown as Array<{ name: string; what: string }>,
    timestamps: async () => (await db.db.collection('mongockChangeLog').find().toArray()).map((document) => document.timestamp as Date),
    drop: () => db.drop(),
  };
}

async function run(target: Target, command: 'migrate' | 'undo', offsetMs: number): Promise<{ executed: string[]; rolledBack: string[]; clock: string }> {
  const child = startScript('test/e2e/processes/skew-runner.ts', [target.kind, target.target, command], {
    NODE_OPTIONS: `--import ${CLOCK_PRELOAD}`,
    MONGOCK_TEST_CLOCK_OFFSET_MS: String(offsetMs),
  });
  const { code, stdout, stderr } = await child.finished;
  expect(code, `${target.kind} ${command} at ${offsetMs} ms: ${stderr}`).toBe(0);
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const counts = (rows: Array<{ name: string; what: string }>) =>
  Object.fromEntries(
    ['u1', 'u2'].map((id) => [
      id,
      {
        execute: rows.filter((r) => r.name === id && r.what === 'execute').length,
        rollback: rows.filter((r) => r.name === id && r.what === 'rollback').length,
      },
    ]),
  );

const targets: Record<Target['kind'], () => Promise<Target>> = { sqlite: sqliteTarget, postgres: postgresTarget, mysql: mysqlTarget, mongodb: mongoTarget };
const made: Target[] = [];
afterAll(async () => {
  for (const target of made) await target.drop();
});

describe('runners whose clocks are 10 minutes off decide exactly as an unskewed one (real processes)', () => {
  it.each(Object.keys(targets) as Array<Target['kind']>)(
    '%s: migrate and undo from hosts ahead and behind',
    async (kind) => {
      const target = await targets[kind]();
      made.push(target);
      const steps: Array<[string, 'migrate' | 'undo', number, { executed: string[]; rolledBack: string[] }]> = [
        ['an unskewed host applies both units', 'migrate', 0, { executed: ['u1', 'u2'], rolledBack: [] }],
        // Stamped by this host's clock, the ROLLED_BACK entry would stay "newest" for 10 minutes:
        ['a host 10 min ahead undoes u2', 'undo', TEN_MINUTES, { executed: [], rolledBack: ['u2'] }],
        ['an unskewed host applies u2 again', 'migrate', 0, { executed: ['u2'], rolledBack: [] }],
        ['... and then finds nothing to do (not u2 once more)', 'migrate', 0, { executed: [], rolledBack: [] }],
        // Stamped by this host's clock, the ROLLED_BACK entry would be "older" than the EXECUTED one:
        ['a host 10 min behind undoes u2', 'undo', -TEN_MINUTES, { executed: [], rolledBack: ['u2'] }],
        ['a host 10 min ahead sees u2 pending and applies it', 'migrate', TEN_MINUTES, { executed: ['u2'], rolledBack: [] }],
        ['a host 10 min behind finds nothing to do', 'migrate', -TEN_MINUTES, { executed: [], rolledBack: [] }],
      ];
      for (const [what, command, offset, expected] of steps) {
        const result = await run(target, command, offset);
        expect({ executed: result.executed, rolledBack: result.rolledBack }, `${kind}: ${what}`).toEqual(expected);
        // The preload really shifted that process's clock.
        expect(Math.abs(new Date(result.clock).getTime() - Date.now() - offset)).toBeLessThan(60_000);
      }
      expect(counts(await target.effects())).toEqual({ u1: { execute: 1, rollback: 0 }, u2: { execute: 3, rollback: 2 } });
      // Every entry carries the database's time (this test's host is the database's), none a runner's.
      const stamps = await target.timestamps();
      expect(stamps.length).toBeGreaterThanOrEqual(6);
      for (const stamp of stamps) expect(Math.abs(stamp.getTime() - Date.now()), `${kind}: ${stamp.toISOString()}`).toBeLessThan(3 * 60_000);
    },
    240_000,
  );
});
