import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ORACLE_MYSQL_URL, POSTGRES_URL } from '../support/servers.ts';
import { lastJson, runWorker, type SqlTarget, sqlTargetFor } from './support.ts';

// Issue 18, point 2 on PostgreSQL and MySQL/MariaDB, with real processes on real servers: a
// session that stops answering — a change blocked behind another session's lock, or a
// statement that never ends — is bounded by the lock and statement timeouts the driver sets on
// the connection it opens, and fails with a clear error naming the setting; the unit is rolled
// back (the side-effect counter says so), the lock is released, and the next run applies it.
// MySQL/MariaDB run twice: on MariaDB (max_statement_time) and on Oracle MySQL (max_execution_time).

/** Another session that holds a lock on the effects table until `release()`. */
interface Blocker {
  release(): Promise<void>;
}

async function blockEffects(driver: 'postgres' | 'mysql', target: SqlTarget): Promise<Blocker> {
  if (driver === 'postgres') {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${target.tables.effects} IN ACCESS EXCLUSIVE MODE`);
    return {
      release: async () => {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }
  const connection = await mysql.createConnection(target.target);
  await connection.query('LOCK TABLES effects WRITE');
  return {
    release: async () => {
      await connection.query('UNLOCK TABLES');
      await connection.end();
    },
  };
}

/** Whether Oracle MySQL answers (scripts/mysql.sh starts it where its binaries could be fetched). */
async function answers(url: string): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: url, connectTimeout: 3_000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}
const oracleMysql = await answers(ORACLE_MYSQL_URL);
if (!oracleMysql)
  console.warn(`SKIPPED: Oracle MySQL does not answer at ${ORACLE_MYSQL_URL} (bash scripts/mysql.sh start); its max_execution_time path is not tested.`);

interface Server {
  readonly driver: 'postgres' | 'mysql';
  /** Another MySQL server than the MariaDB one. */
  readonly mysqlUrl?: string;
  /** A statement that runs far longer than the timeout, and how the server says it cancelled it. */
  readonly slow: string;
  readonly cancelled: RegExp;
}

const SERVERS: Record<string, Server> = {
  postgres: { driver: 'postgres', slow: 'SELECT pg_sleep(60)', cancelled: /statement_timeout, postgresDriver's statementTimeoutMs/ },
  mariadb: { driver: 'mysql', slow: 'SELECT SLEEP(60)', cancelled: /max_statement_time exceeded.*statementTimeoutMs/ },
  // MySQL's max_execution_time bounds read-only SELECTs, and a SLEEP() it interrupts returns 1
  // without an error: the slow statement is a SELECT that computes for minutes.
  'Oracle MySQL': {
    driver: 'mysql',
    mysqlUrl: ORACLE_MYSQL_URL,
    slow: 'SELECT COUNT(*) FROM information_schema.columns a, information_schema.columns b, information_schema.columns c, information_schema.columns d',
    cancelled: /maximum statement execution time exceeded.*max_execution_time, mysqlDriver's statementTimeoutMs/,
  },
};

describe.each(Object.keys(SERVERS))('%s: statement and lock timeouts (real processes)', (name) => {
  const { driver, mysqlUrl, slow: slowStatement, cancelled } = SERVERS[name]!;
  // Reported as skipped (never passed) where Oracle MySQL does not answer.
  const test = mysqlUrl !== undefined && !oracleMysql ? it.skip : it;
  let target: SqlTarget | undefined;
  let blocker: Blocker | undefined;
  afterEach(async () => {
    await blocker?.release();
    blocker = undefined;
    await target?.drop();
    target = undefined;
  });
  const lockOption = driver === 'postgres' ? 'lockTimeoutMs' : 'lockWaitTimeoutMs';
  const units = [{ id: 'u1' }, { id: 'u2' }];

  test(`a change blocked behind another session's table lock fails with STATEMENT_TIMEOUT after ${lockOption}, rolled back, lock released`, async () => {
    target = await sqlTargetFor(driver, mysqlUrl);
    if (driver === 'postgres') await target.exec(`CREATE TABLE ${target.tables.effects} (unit text NOT NULL, i int NOT NULL, pid int NOT NULL)`);
    blocker = await blockEffects(driver, target);
    const blocked = await runWorker({ driver, target: target.target, action: 'migrate', units, driverOptions: { [lockOption]: 1_000 } });
    const verdict = lastJson(blocked.stdout);
    expect(verdict, blocked.stderr).toMatchObject({ error: 'CHANGE_FAILED' });
    expect(verdict.message).toContain("Change 'u1'");
    expect(verdict.message).toMatch(driver === 'postgres' ? /lock_timeout, postgresDriver's lockTimeoutMs/ : /lock_wait_timeout.*lockWaitTimeoutMs/);
    expect(verdict.message).not.toMatch(/\n\s+at /);
    // Not the server's default wait (PostgreSQL: for ever; MySQL metadata locks: a year).
    expect(verdict.elapsedMs as number).toBeLessThan(30_000);
    await blocker.release();
    blocker = undefined;
    expect(await target.count()).toEqual({});

    const rerun = lastJson((await runWorker({ driver, target: target.target, action: 'migrate', units })).stdout);
    expect(rerun).toMatchObject({ status: 'completed', executed: ['u1', 'u2'] });
    expect(await target.count()).toEqual({ u1: 10, u2: 10 });
  }, 120_000);

  test('a statement running past statementTimeoutMs fails with STATEMENT_TIMEOUT, rolled back, lock released', async () => {
    target = await sqlTargetFor(driver, mysqlUrl);
    const slow = [{ id: 'u1' }, { id: 'u2', statement: slowStatement }];
    const stopped = await runWorker({ driver, target: target.target, action: 'migrate', units: slow, driverOptions: { statementTimeoutMs: 1_000 } });
    const verdict = lastJson(stopped.stdout);
    expect(verdict, stopped.stderr).toMatchObject({ error: 'CHANGE_FAILED' });
    expect(verdict.message).toContain("Change 'u2'");
    expect(verdict.message).toMatch(cancelled);
    expect(verdict.elapsedMs as number).toBeLessThan(30_000);
    expect(await target.count()).toEqual({ u1: 10 });

    const rerun = lastJson((await runWorker({ driver, target: target.target, action: 'migrate', units })).stdout);
    expect(rerun).toMatchObject({ status: 'completed', executed: ['u2'] });
    expect(await target.count()).toEqual({ u1: 10, u2: 10 });
  }, 120_000);
});
