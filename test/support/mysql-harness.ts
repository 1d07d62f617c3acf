import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { type MysqlChangeContext, mysqlDriver } from '../../src/drivers/mysql/index.ts';
import type { DriverFixture, DriverHarness } from '../../src/drivers/testkit/index.ts';
import { MYSQL_URL } from './servers.ts';

/** A database of its own for one test, dropped afterwards, plus an admin pool to look inside. */
export interface MysqlTestDatabase {
  readonly database: string;
  /** MYSQL_URL pointed at this database. */
  readonly uri: string;
  readonly admin: mysql.Pool;
  /** `database`.`name`. */
  table(name: string): string;
  /** Rows of a query run by the admin pool. */
  rows<T>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Which connection holds the Mongock lock of this database (default lock table), or null. */
  lockHolder(table?: string): Promise<number | null>;
  /** Polls until nobody holds the lock (a KILLed session frees it a moment after the KILL returns); the holder left, or null. */
  lockFreed(timeoutMs?: number): Promise<number | null>;
  drop(): Promise<void>;
}

/** MYSQL_URL with another database. */
export function mysqlUrlFor(database: string, base = MYSQL_URL): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh database on the MariaDB test server (or on the server at `base`). */
export async function createTestDatabase(prefix = 'mongock_t', base = MYSQL_URL): Promise<MysqlTestDatabase> {
  const database = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = mysql.createPool({ uri: base, connectionLimit: 4 });
  try {
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  } catch (error) {
    await admin.end();
    throw new Error(
      `MySQL/MariaDB test server not reachable at ${base} (${(error as Error).message}). Start it with \`bash scripts/test-servers.sh up\` or set MONGOCK_TEST_MYSQL_URL.`,
      { cause: error },
    );
  }
  const rows = async <T>(sql: string, values: unknown[] = []): Promise<T[]> => (await admin.query(sql, values))[0] as T[];
  const lockHolder = async (table = 'mongock_lock'): Promise<number | null> => {
    const [row] = await rows<{ holder: number | null }>('SELECT IS_USED_LOCK(?) AS holder', [`mongock:${database}.${table}`]);
    return row?.holder ?? null;
  };
  return {
    database,
    uri: mysqlUrlFor(database, base),
    admin,
    table: (name) => `\`${database}\`.\`${name}\``,
    rows,
    lockHolder,
    async lockFreed(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      let holder = await lockHolder();
      while (holder !== null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        holder = await lockHolder();
      }
      return holder;
    },
    async drop() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await admin.end();
      }
    },
  };
}

/** The driver testkit on a real MariaDB/MySQL server: a fresh database per test, markers in `db`.markers. */
export const mysqlHarness: DriverHarness<MysqlChangeContext> = {
  name: 'mysql',
  async setup(): Promise<DriverFixture<MysqlChangeContext>> {
    const db = await createTestDatabase();
    const markers = db.table('markers');
    await db.admin.query(`CREATE TABLE ${markers} (name VARCHAR(255) NOT NULL) ENGINE=InnoDB`);
    return {
      driver: () => mysqlDriver({ uri: db.uri }),
      insertMarker: async ({ sql }, name) => void (await sql.run('INSERT INTO markers (name) VALUES (?)', [name])),
      deleteMarkers: async ({ sql }, name) => void (await sql.run('DELETE FROM markers WHERE name = ?', [name])),
      countMarkers: async (name) => Number((await db.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${markers} WHERE name = ?`, [name]))[0]!.n),
      async severLockSession() {
        const holder = await db.lockHolder();
        if (holder === null) throw new Error('severLockSession: nobody holds the lock');
        await db.admin.query(`KILL ${holder}`);
        // KILL only flags the server thread; it frees the lock as it ends, a moment later.
        if ((await db.lockFreed()) !== null) throw new Error(`severLockSession: connection ${holder} still holds the lock`);
      },
      teardown: () => db.drop(),
    };
  },
};
