import { randomBytes } from 'node:crypto';
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { defineChangeUnit } from '../../src/change/define-change-unit.ts';
import type { Driver } from '../../src/drivers/driver.ts';
import { type MysqlChangeContext, mysqlDriver } from '../../src/drivers/mysql/index.ts';
import { isMongockError, type MongockError } from '../../src/errors/mongock-error.ts';
import type { Logger } from '../../src/log/logger.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { MongockBuilder } from '../../src/runner/mongock-builder.ts';
import { createTestDatabase, type MysqlTestDatabase, mysqlUrlFor } from '../support/mysql-harness.ts';
import { MYSQL_LIMITED_URL, MYSQL_URL } from '../support/servers.ts';

const QUICK = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 5_000 };
const SETTINGS = { migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger };

type Unit = ReturnType<typeof defineChangeUnit<MysqlChangeContext>>;

function runner(
  driver: Driver<MysqlChangeContext>,
  units: Unit[],
  extra: { logger?: Logger; migrationRepositoryName?: string; lockRepositoryName?: string } = {},
) {
  const builder = new MongockBuilder()
    .setDriver(driver)
    .addChangeUnits(...(units as never[]))
    .setLockConfig(QUICK)
    .setLogger(extra.logger ?? silentLogger);
  if (extra.migrationRepositoryName !== undefined) builder.setMigrationRepositoryName(extra.migrationRepositoryName);
  if (extra.lockRepositoryName !== undefined) builder.setLockRepositoryName(extra.lockRepositoryName);
  return builder.buildRunner();
}

async function failure(promise: Promise<unknown>): Promise<MongockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMongockError(error)) throw new Error(`expected a MongockError, got ${String(error)}`, { cause: error });
  return error;
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (message: string) => void warnings.push(message), warnings };
}

describe('MySQL/MariaDB driver', () => {
  let db: MysqlTestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  const insert = (id: string, extra: Partial<Parameters<typeof defineChangeUnit<MysqlChangeContext>>[0]> = {}) =>
    defineChangeUnit<MysqlChangeContext>({
      id,
      order: id,
      author: 'dev',
      execute: async ({ sql }) => void (await sql.run('INSERT INTO markers (name) VALUES (?)', [id])),
      rollback: async ({ sql }) => void (await sql.run('DELETE FROM markers WHERE name = ?', [id])),
      ...extra,
    });

  async function withMarkers(): Promise<MysqlTestDatabase> {
    db = await createTestDatabase();
    await db.admin.query(`CREATE TABLE ${db.table('markers')} (name VARCHAR(255) NOT NULL) ENGINE=InnoDB`);
    return db;
  }

  async function tables(): Promise<string[]> {
    const rows = await db!.rows<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [db!.database]);
    return rows.map((row) => row.name);
  }

  describe('tables', () => {
    it('maps the default names to snake_case and lays the history out with SQL types and the Mongock key', async () => {
      await withMarkers();
      await runner(mysqlDriver({ uri: db!.uri }), [insert('a')]).execute();
      expect(await tables()).toEqual(['markers', 'mongock_change_log', 'mongock_lock']);
      const columns = await db!.rows<{ name: string; type: string; nullable: string; key: string }>(
        `SELECT column_name AS name, column_type AS type, is_nullable AS nullable, column_key AS \`key\`
         FROM information_schema.columns WHERE table_schema = ? AND table_name = 'mongock_change_log' ORDER BY ordinal_position`,
        [db!.database],
      );
      expect(Object.fromEntries(columns.map((c) => [c.name, c.type]))).toMatchObject({
        execution_id: 'varchar(100)',
        change_id: 'varchar(255)',
        author: 'varchar(255)',
        timestamp: 'datetime(3)',
        state: 'varchar(32)',
        type: 'varchar(32)',
        change_log_class: 'varchar(512)',
        change_set_method: 'varchar(255)',
        execution_millis: 'bigint(20)',
        execution_hostname: 'varchar(255)',
        error_trace: 'mediumtext',
        system_change: 'tinyint(1)',
        checksum: 'varchar(64)',
      });
      // MariaDB's JSON is LONGTEXT with a json_valid check; MySQL reports `json`.
      expect(columns.find((c) => c.name === 'metadata')!.type).toMatch(/^(json|longtext)$/);
      const key = await db!.rows<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.key_column_usage
         WHERE table_schema = ? AND table_name = 'mongock_change_log' AND constraint_name = 'PRIMARY' ORDER BY ordinal_position`,
        [db!.database],
      );
      expect(key.map((k) => k.name)).toEqual(['execution_id', 'author', 'change_id']);
      const [row] = await db!.rows<Record<string, unknown>>(`SELECT * FROM ${db!.table('mongock_change_log')}`);
      expect(row).toMatchObject({ change_id: 'a', author: 'dev', state: 'EXECUTED', type: 'EXECUTION', system_change: 0 });
      // Stored in UTC whatever the session time zone: within a minute of now.
      const [utc] = await db!.rows<{ drift: number }>(
        `SELECT ABS(TIMESTAMPDIFF(SECOND, \`timestamp\`, UTC_TIMESTAMP())) AS drift FROM ${db!.table('mongock_change_log')}`,
      );
      expect(Number(utc!.drift)).toBeLessThan(60);
    });

    it('keeps names chosen by the user as they are, and ids are case-sensitive', async () => {
      await withMarkers();
      const options = { migrationRepositoryName: 'app_history', lockRepositoryName: 'AppLock' };
      const result = await runner(mysqlDriver({ uri: db!.uri }), [insert('x'), insert('X', { order: 'y' })], options).execute();
      expect(result.executed).toBe(2);
      expect(await tables()).toEqual(['AppLock', 'app_history', 'markers']);
      const again = await runner(mysqlDriver({ uri: db!.uri }), [insert('x'), insert('X', { order: 'y' })], options).execute();
      expect(again.status).toBe('up-to-date');
    });

    it('runs with only SELECT, INSERT, UPDATE on tables an administrator created (no CREATE needed)', async () => {
      const suffix = randomBytes(4).toString('hex');
      const names = { migrationRepositoryName: `pre_history_${suffix}`, lockRepositoryName: `pre_lock_${suffix}` };
      const noop = (id: string) => defineChangeUnit<MysqlChangeContext>({ id, order: id, author: 'dev', execute: () => {}, rollback: () => {} });
      // The administrator's run creates both tables; then the limited user gets DML on them only.
      await runner(mysqlDriver({ uri: MYSQL_URL }), [noop('a')], names).execute();
      await withLimitedGrants('INSERT, UPDATE', [names.migrationRepositoryName, names.lockRepositoryName], async () => {
        const result = await runner(mysqlDriver({ uri: MYSQL_LIMITED_URL }), [noop('a'), noop('b')], names).execute();
        expect(result.executed).toBe(1);
      });
    });
  });

  describe('DDL and implicit commits', () => {
    it('refuses DDL in a transactional unit before it runs: nothing applied, FAILED recorded, the message says what to do', async () => {
      await withMarkers();
      const ddl = defineChangeUnit<MysqlChangeContext>({
        id: 'ddl-in-tx',
        order: '001',
        author: 'dev',
        async execute({ sql }) {
          await sql.run('INSERT INTO markers (name) VALUES (?)', ['ddl-in-tx']);
          await sql.run('  /* add a table */ CREATE TABLE gadgets (id INT PRIMARY KEY)');
        },
        rollback: () => {},
      });
      const error = await failure(runner(mysqlDriver({ uri: db!.uri }), [ddl]).execute());
      expect(error.code).toBe('CHANGE_FAILED');
      expect(error.changeId).toBe('ddl-in-tx');
      expect(error.message).toContain('transactional: false');
      expect(isMongockError(error.cause, 'INVALID_CHANGE_UNIT')).toBe(true);
      expect(await tables()).not.toContain('gadgets');
      expect(await db!.rows(`SELECT * FROM ${db!.table('markers')}`)).toEqual([]);
      const [entry] = await db!.rows<{ state: string }>(`SELECT state FROM ${db!.table('mongock_change_log')} WHERE change_id = 'ddl-in-tx'`);
      expect(entry!.state).toBe('FAILED');
    });

    it('temporary tables are allowed in a transactional unit (they do not commit)', async () => {
      await withMarkers();
      const temporary = defineChangeUnit<MysqlChangeContext>({
        id: 'temp',
        order: '001',
        author: 'dev',
        async execute({ sql }) {
          await sql.run('CREATE TEMPORARY TABLE scratch (name VARCHAR(20))');
          await sql.run("INSERT INTO scratch VALUES ('temp')");
          await sql.run('INSERT INTO markers (name) SELECT name FROM scratch');
          await sql.run('DROP TEMPORARY TABLE scratch');
        },
        rollback: () => {},
      });
      expect((await runner(mysqlDriver({ uri: db!.uri }), [temporary]).execute()).executed).toBe(1);
      expect(await db!.rows(`SELECT name FROM ${db!.table('markers')}`)).toEqual([{ name: 'temp' }]);
    });

    it('a non-transactional DDL unit applies, and on failure its rollback method undoes it (ROLLED_BACK)', async () => {
      await withMarkers();
      const schema = (fail: boolean) =>
        defineChangeUnit<MysqlChangeContext>({
          id: 'gadgets',
          order: '001',
          author: 'dev',
          transactional: false,
          async execute({ sql }) {
            await sql.run('CREATE TABLE gadgets (id INT PRIMARY KEY)');
            await sql.run('INSERT INTO gadgets VALUES (1)');
            if (fail) throw new Error('half-way');
          },
          async rollback({ sql }) {
            await sql.run('DROP TABLE IF EXISTS gadgets');
          },
        });
      const error = await failure(runner(mysqlDriver({ uri: db!.uri }), [schema(true)]).execute());
      expect(error.code).toBe('CHANGE_FAILED');
      expect(await tables()).not.toContain('gadgets');
      const states = await db!.rows<{ state: string }>(`SELECT state FROM ${db!.table('mongock_change_log')} WHERE change_id = 'gadgets'`);
      expect(states.map((s) => s.state)).toEqual(['ROLLED_BACK']);
      // The marker was cleared once the unit ended, so the next run is not refused.
      const [lock] = await db!.rows<{ in_progress: unknown }>(`SELECT in_progress FROM ${db!.table('mongock_lock')}`);
      expect(lock!.in_progress).toBeNull();
      expect((await runner(mysqlDriver({ uri: db!.uri }), [schema(false)]).execute()).executed).toBe(1);
      expect(await tables()).toContain('gadgets');
    });

    it('warns when something the handle did not refuse commits the transaction, and keeps the rest atomic', async () => {
      await withMarkers();
      const logger = recordingLogger();
      const sneaky = defineChangeUnit<MysqlChangeContext>({
        id: 'sneaky',
        order: '001',
        author: 'dev',
        async execute({ sql, connection }) {
          await sql.run('INSERT INTO markers (name) VALUES (?)', ['before-ddl']);
          await connection.query({ sql: 'CREATE TABLE raw_ddl (id INT)' });
          await sql.run('INSERT INTO markers (name) VALUES (?)', ['after-ddl']);
        },
        rollback: () => {},
      });
      const result = await runner(mysqlDriver({ uri: db!.uri }), [sneaky], { logger }).execute();
      expect(result.executed).toBe(1);
      expect(logger.warnings.join('\n')).toMatch(/committed implicitly .*transactional: false/);
      expect((await db!.rows<{ name: string }>(`SELECT name FROM ${db!.table('markers')} ORDER BY name`)).map((r) => r.name)).toEqual([
        'after-ddl',
        'before-ddl',
      ]);
    });
  });

  describe('lock', () => {
    it('status shows who holds the lock (owner, host, since) and a dead holder as expired; unlock clears it', async () => {
      db = await createTestDatabase();
      const holder = await mysqlDriver({ uri: db.uri }).connect(SETTINGS);
      const attempt = await holder.lock.tryAcquire({ owner: 'owner-1', hostname: 'host-1', leaseMs: 10_000, onLost: () => {} });
      expect(attempt.acquired).toBe(true);
      const status = await runner(mysqlDriver({ uri: db.uri }), [
        defineChangeUnit<MysqlChangeContext>({ id: 'n', order: '1', author: 'a', execute: () => {}, rollback: () => {} }),
      ]).status();
      expect(status.lock).toMatchObject({ owner: 'owner-1', hostname: 'host-1', expired: false, expiresAt: null, inProgress: null });
      expect(Date.now() - status.lock!.acquiredAt!.getTime()).toBeLessThan(60_000);
      // The holder dies without releasing: the server frees the lock with the session.
      await holder.close();
      const inspector = await mysqlDriver({ uri: db.uri }).connect(SETTINGS);
      try {
        expect(await db.lockHolder()).toBeNull();
        // close() released it, so nothing is left to show.
        expect(await inspector.lock.inspect()).toBeNull();
      } finally {
        await inspector.close();
      }
    });

    it('a grant answered by the lock row seen with the history: only when nobody took the lock or forced it free in between', async () => {
      db = await createTestDatabase();
      const a = await mysqlDriver({ uri: db.uri }).connect(SETTINGS);
      const b = await mysqlDriver({ uri: db.uri }).connect(SETTINGS);
      const request = (owner: string) => ({ owner, hostname: 'h', leaseMs: 10_000, onLost: () => {} });
      const change = { changeId: 'c1', author: 'dev', executionId: 'e1', startedAt: new Date('2026-01-02T03:04:05.678Z'), hostname: 'h' };
      try {
        await a.prepareHistory();
        // A run that left its marker (a crash inside a non-transactional unit).
        const crashed = await b.lock.tryAcquire(request('b'));
        if (!crashed.acquired) throw new Error('not acquired');
        await b.lock.markInProgress(crashed.lease, change);
        expect(await b.lock.release(crashed.lease)).toBe(true);

        // Nothing in between: the marker seen with the history is the one reported.
        await a.readHistory();
        const quiet = await a.lock.tryAcquire(request('a'));
        if (!quiet.acquired) throw new Error('not acquired');
        expect(quiet.lease.fence).toBe(crashed.lease.fence + 1);
        expect(quiet.interrupted).toEqual(change);
        expect(await a.lock.release(quiet.lease)).toBe(true);

        // Read, then the marker is cleared by a forced release: the grant sees the fence moved and reads the row.
        await a.readHistory();
        expect(await b.lock.forceRelease()).toBe(true);
        const forced = await a.lock.tryAcquire(request('a'));
        if (!forced.acquired) throw new Error('not acquired');
        expect(forced.interrupted).toBeNull();
        expect(forced.lease.fence).toBe(quiet.lease.fence + 2);
        expect(await a.lock.release(forced.lease)).toBe(true);

        // Read, then another holder sets a marker and goes: its marker is reported, not the one seen.
        await a.readHistory();
        const other = await b.lock.tryAcquire(request('b'));
        if (!other.acquired) throw new Error('not acquired');
        await b.lock.markInProgress(other.lease, { ...change, changeId: 'c2' });
        expect(await b.lock.release(other.lease)).toBe(true);
        const after = await a.lock.tryAcquire(request('a'));
        if (!after.acquired) throw new Error('not acquired');
        expect(after.interrupted?.changeId).toBe('c2');
        expect(after.lease.fence).toBe(other.lease.fence + 1);
        expect(await a.lock.release(after.lease)).toBe(true);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('connection options', () => {
    it('borrows one connection from a mysql2/promise pool and gives it back with the lock released', async () => {
      await withMarkers();
      const pool = mysql.createPool({ uri: db!.uri, connectionLimit: 1 });
      try {
        const result = await runner(mysqlDriver({ pool }), [insert('p1'), insert('p2')]).execute();
        expect(result.executed).toBe(2);
        // connectionLimit 1: the run's connection went back, without the lock.
        const [row] = (await pool.query('SELECT IS_USED_LOCK(?) AS holder', [`mongock:${db!.database}.mongock_lock`]))[0] as Array<{ holder: number | null }>;
        expect(row!.holder).toBeNull();
      } finally {
        await pool.end();
      }
    });

    it('accepts a callback-style mysql2 pool and leaves a given connection open', async () => {
      await withMarkers();
      const pool = mysqlCallback.createPool({ uri: db!.uri, connectionLimit: 2 });
      const connection = await mysql.createConnection(db!.uri);
      try {
        expect((await runner(mysqlDriver({ pool }), [insert('c1')]).execute()).executed).toBe(1);
        expect((await runner(mysqlDriver({ connection }), [insert('c1'), insert('c2')]).execute()).executed).toBe(1);
        const [rows] = await connection.query('SELECT COUNT(*) AS n FROM markers');
        expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(2);
      } finally {
        await connection.end();
        await new Promise((resolve) => pool.end(resolve));
      }
    });

    it('rejects options without exactly one connection source', () => {
      expect(() => mysqlDriver({})).toThrow(/exactly one of/);
      expect(() => mysqlDriver({ uri: MYSQL_URL, pool: mysql.createPool({ uri: MYSQL_URL }) })).toThrow(/exactly one of/);
    });
  });

  describe('bad input: clear errors, nothing half-applied', () => {
    const unitThatMustNotRun = () => {
      const calls = { count: 0 };
      const unit = defineChangeUnit<MysqlChangeContext>({
        id: 'must-not-run',
        order: '001',
        author: 'dev',
        execute: () => {
          calls.count++;
        },
        rollback: () => {},
      });
      return { unit, calls };
    };

    it('unreachable server', async () => {
      const { unit, calls } = unitThatMustNotRun();
      const error = await failure(runner(mysqlDriver({ uri: 'mysql://mongock:mongock@127.0.0.1:1/mongock_test' }), [unit]).execute());
      expect(error.code).toBe('DRIVER_ERROR');
      expect(error.message).toMatch(/Cannot reach the MySQL\/MariaDB server at 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
      expect(error.message).toContain('running');
      expect(calls.count).toBe(0);
    });

    it('wrong password (and the password is not printed)', async () => {
      const { unit, calls } = unitThatMustNotRun();
      const url = new URL(MYSQL_URL);
      url.password = 'wrong-secret';
      const error = await failure(runner(mysqlDriver({ uri: url.toString() }), [unit]).execute());
      expect(error.code).toBe('DRIVER_ERROR');
      expect(error.message).toMatch(/refused the login .*Access denied.*Check the user name and password/);
      expect(error.message).not.toContain('wrong-secret');
      expect(calls.count).toBe(0);
    });

    it('a database that does not exist', async () => {
      const { unit, calls } = unitThatMustNotRun();
      const missing = `mongock_missing_${randomBytes(4).toString('hex')}`;
      const error = await failure(runner(mysqlDriver({ uri: mysqlUrlFor(missing) }), [unit]).execute());
      expect(error.code).toBe('DRIVER_ERROR');
      expect(error.message).toContain(missing);
      expect(error.message).toMatch(/does not exist\. Create it/);
      expect(calls.count).toBe(0);
      const admin = await mysql.createConnection(MYSQL_URL);
      try {
        const [rows] = await admin.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?', [missing]);
        expect(rows).toEqual([]);
      } finally {
        await admin.end();
      }
    });

    it('a URI without a database', async () => {
      const { unit } = unitThatMustNotRun();
      const url = new URL(MYSQL_URL);
      url.pathname = '/';
      const error = await failure(runner(mysqlDriver({ uri: url.toString() }), [unit]).execute());
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toMatch(/no database selected/);
    });

    it('a user without CREATE rights: says which GRANT is missing; no table, no lock left', async () => {
      const { unit, calls } = unitThatMustNotRun();
      const suffix = randomBytes(4).toString('hex');
      const names = { migrationRepositoryName: `lim_history_${suffix}`, lockRepositoryName: `lim_lock_${suffix}` };
      const error = await failure(runner(mysqlDriver({ uri: MYSQL_LIMITED_URL }), [unit], names).execute());
      expect(error.code).toBe('DRIVER_ERROR');
      expect(error.message).toMatch(/Cannot create the Mongock lock table `mongock_test`\.`lim_lock_\w+`: CREATE command denied/);
      expect(error.message).toContain('GRANT CREATE');
      expect(calls.count).toBe(0);
      const admin = await mysql.createConnection(MYSQL_URL);
      try {
        const [tablesLeft] = await admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE ?', [
          'mongock_test',
          `%${suffix}`,
        ]);
        expect(tablesLeft).toEqual([]);
        const [[lock]] = (await admin.query('SELECT IS_USED_LOCK(?) AS holder', [`mongock:mongock_test.${names.lockRepositoryName}`])) as unknown as [
          Array<{ holder: number | null }>,
        ];
        expect(lock!.holder).toBeNull();
      } finally {
        await admin.end();
      }
    });

    it('a user who may use the lock table but not create the history table: the lock is released, nothing runs', async () => {
      const { unit, calls } = unitThatMustNotRun();
      const suffix = randomBytes(4).toString('hex');
      const names = { migrationRepositoryName: `lim_history_${suffix}`, lockRepositoryName: `lim_lock_${suffix}` };
      // An administrator created the lock table (by a first run with full rights) and granted DML on it only.
      const setup = await mysqlDriver({ uri: MYSQL_URL }).connect({ ...names, logger: silentLogger });
      const attempt = await setup.lock.tryAcquire({ owner: 'admin', hostname: 'h', leaseMs: 1_000, onLost: () => {} });
      if (attempt.acquired) await setup.lock.release(attempt.lease);
      await setup.close();
      await withLimitedGrants('INSERT, UPDATE', [names.lockRepositoryName], async (admin) => {
        const error = await failure(runner(mysqlDriver({ uri: MYSQL_LIMITED_URL }), [unit], names).execute());
        expect(error.code).toBe('DRIVER_ERROR');
        expect(error.message).toMatch(/Cannot create the Mongock history table `mongock_test`\.`lim_history_\w+`: CREATE command denied/);
        expect(calls.count).toBe(0);
        const [[row]] = (await admin.query(`SELECT IS_USED_LOCK(?) AS holder, (SELECT owner FROM mongock_test.\`${names.lockRepositoryName}\`) AS owner`, [
          `mongock:mongock_test.${names.lockRepositoryName}`,
        ])) as unknown as [Array<{ holder: number | null; owner: string | null }>];
        expect(row).toEqual({ holder: null, owner: null });
      });
    });
  });
});

/**
 * Grants the limited test user `privileges` on tables of mongock_test for the duration of `work`,
 * then revokes them and drops the tables.
 */
async function withLimitedGrants(privileges: string, tables: string[], work: (admin: mysql.Connection) => Promise<void>): Promise<void> {
  const admin = await mysql.createConnection(MYSQL_URL);
  const user = new URL(MYSQL_LIMITED_URL).username;
  const hosts = ((await admin.query('SELECT host AS host FROM mysql.user WHERE user = ?', [user]))[0] as Array<{ host: string }>).map((r) => r.host);
  try {
    for (const table of tables) for (const host of hosts) await admin.query(`GRANT ${privileges} ON mongock_test.\`${table}\` TO ?@?`, [user, host]);
    await work(admin);
  } finally {
    for (const table of tables) {
      for (const host of hosts) await admin.query(`REVOKE ${privileges} ON mongock_test.\`${table}\` FROM ?@?`, [user, host]).catch(() => {});
      await admin.query(`DROP TABLE IF EXISTS mongock_test.\`${table}\``);
    }
    await admin.end();
  }
}
