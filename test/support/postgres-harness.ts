import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type PostgresChangeContext, type PostgresDriverOptions, postgresDriver } from '../../src/drivers/postgres/index.ts';
import { advisoryKey } from '../../src/drivers/postgres/postgres-sql.ts';
import type { DriverFixture, DriverHarness } from '../../src/drivers/testkit/index.ts';
import { POSTGRES_URL } from './servers.ts';

/** The lock table the tests' runs use (the driver's default). */
const DEFAULT_LOCK_TABLE = 'mongock_lock';

/** A schema of its own for one test, dropped afterwards, plus an admin pool to look inside. */
export interface PostgresTestSchema {
  readonly schema: string;
  /** `"schema".name`. */
  table(name: string): string;
  readonly admin: pg.Pool;
  /** Rows of the advisory locks granted or waiting in this database for this schema's lock key (or any, when `all`). */
  advisoryLocks(): Promise<Array<{ pid: number; granted: boolean }>>;
  drop(): Promise<void>;
}

export async function createTestSchema(prefix = 'mongock_t'): Promise<PostgresTestSchema> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } catch (error) {
    await admin.end();
    throw new Error(
      `PostgreSQL test server not reachable at ${POSTGRES_URL} (${(error as Error).message}). Start it with \`bash scripts/test-servers.sh up\` or set MONGOCK_TEST_POSTGRES_URL.`,
      { cause: error },
    );
  }
  return {
    schema,
    admin,
    table: (name) => `"${schema}"."${name}"`,
    async advisoryLocks() {
      // Only this schema's lock: another test's run on the same server (a process left over, or a
      // second checkout's suite) holds advisory locks of its own, which once read here as ours.
      const key = advisoryKey(schema, DEFAULT_LOCK_TABLE);
      const { rows } = await admin.query(
        `SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND classid::bigint = $1::bigint AND objid::bigint = $2::bigint AND objsubid = 1`,
        [key.classid, key.objid],
      );
      return rows;
    },
    async drop() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** The driver testkit on a real PostgreSQL server: a fresh schema per test, markers in `"schema".markers`. */
export const postgresHarness: DriverHarness<PostgresChangeContext> = {
  name: 'postgres',
  async setup(): Promise<DriverFixture<PostgresChangeContext>> {
    const db = await createTestSchema();
    const markers = db.table('markers');
    await db.admin.query(`CREATE TABLE ${markers} (name text NOT NULL)`);
    const options: PostgresDriverOptions = { connectionString: POSTGRES_URL, schema: db.schema };
    return {
      driver: () => postgresDriver(options),
      insertMarker: async ({ sql }, name) => void (await sql.query(`INSERT INTO ${markers} (name) VALUES ($1)`, [name])),
      deleteMarkers: async ({ sql }, name) => void (await sql.query(`DELETE FROM ${markers} WHERE name = $1`, [name])),
      countMarkers: async (name) => Number((await db.admin.query(`SELECT count(*) AS n FROM ${markers} WHERE name = $1`, [name])).rows[0].n),
      async severLockSession() {
        const { rows } = await db.admin.query(`SELECT backend_pid FROM ${db.table('mongock_lock')}`);
        const pid = rows[0]?.backend_pid;
        if (pid === undefined || pid === null) throw new Error('severLockSession: nobody holds the lock');
        await db.admin.query('SELECT pg_terminate_backend($1)', [pid]);
        for (let i = 0; i < 250; i++) {
          if ((await db.admin.query('SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n === '0') return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`severLockSession: backend ${pid} did not end`);
      },
      teardown: () => db.drop(),
    };
  },
};
