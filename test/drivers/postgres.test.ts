import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineChangeUnit } from '../../src/change/define-change-unit.ts';
import type { DriverSettings } from '../../src/drivers/driver.ts';
import { type PostgresChangeContext, type PostgresDriverOptions, postgresDriver } from '../../src/drivers/postgres/index.ts';
import { isMongockError, MongockError } from '../../src/errors/mongock-error.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { MongockBuilder } from '../../src/runner/mongock-builder.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { POSTGRES_LIMITED_URL, POSTGRES_URL } from '../support/servers.ts';

const QUICK = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 5_000 };
const SETTINGS: DriverSettings = { migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger };

type Unit = ReturnType<typeof defineChangeUnit<PostgresChangeContext>>;

const runner = (options: PostgresDriverOptions, units: Unit[], extra: (b: MongockBuilder) => MongockBuilder = (b) => b) =>
  extra(
    new MongockBuilder()
      .setDriver(postgresDriver(options))
      .addChangeUnits(...(units as never[]))
      .setLockConfig(QUICK)
      .setLogger(silentLogger),
  ).buildRunner();

describe('postgres driver', () => {
  let db: PostgresTestSchema;
  let options: PostgresDriverOptions;
  beforeEach(async () => {
    db = await createTestSchema();
    options = { connectionString: POSTGRES_URL, schema: db.schema };
    await db.admin.query(`CREATE TABLE ${db.table('markers')} (name text NOT NULL)`);
  });
  afterEach(async () => {
    await db.drop();
  });

  const tables = async (): Promise<string[]> =>
    (await db.admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [db.schema])).rows.map(
      (r: { table_name: string }) => r.table_name,
    );
  const count = async (name: string): Promise<number> =>
    Number((await db.admin.query(`SELECT count(*) AS n FROM ${db.table('markers')} WHERE name = $1`, [name])).rows[0].n);
  const marker = (id: string, order: string, extra: Partial<Parameters<typeof defineChangeUnit<PostgresChangeContext>>[0]> = {}): Unit =>
    defineChangeUnit<PostgresChangeContext>({
      id,
      order,
      author: 'pg',
      execute: async ({ sql }) => void (await sql.query(`INSERT INTO ${db.table('markers')} (name) VALUES ($1)`, [id])),
      rollback: async ({ sql }) => void (await sql.query(`DELETE FROM ${db.table('markers')} WHERE name = $1`, [id])),
      ...extra,
    });

  describe('tables', () => {
    it('maps the default names to snake_case tables with idiomatic types and the Mongock key', async () => {
      await runner(options, [marker('a', '001')], (b) => b.withMetadata({ release: 'r1' })).execute();
      expect(await tables()).toEqual(['markers', 'mongock_change_log', 'mongock_lock']);
      const columns = await db.admin.query(
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name LIKE 'mongock%' ORDER BY table_name, ordinal_position`,
        [db.schema],
      );
      const layout = (table: string) =>
        Object.fromEntries(
          columns.rows
            .filter((c: { table_name: string }) => c.table_name === table)
            .map((c: { column_name: string; data_type: string }) => [c.column_name, c.data_type]),
        );
      expect(layout('mongock_change_log')).toEqual({
        id: 'bigint',
        execution_id: 'text',
        change_id: 'text',
        author: 'text',
        timestamp: 'timestamp with time zone',
        state: 'text',
        type: 'text',
        change_log_class: 'text',
        change_set_method: 'text',
        metadata: 'jsonb',
        execution_millis: 'bigint',
        execution_hostname: 'text',
        error_trace: 'text',
        system_change: 'boolean',
        checksum: 'text',
      });
      expect(layout('mongock_lock')).toEqual({
        lock_key: 'text',
        owner: 'text',
        hostname: 'text',
        acquired_at: 'timestamp with time zone',
        backend_pid: 'integer',
        fence: 'bigint',
        in_progress: 'jsonb',
      });
      const key = await db.admin.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [db.table('mongock_change_log')],
      );
      expect(key.rows.map((r: { attname: string }) => r.attname)).toEqual(['execution_id', 'author', 'change_id']);
      const row = (await db.admin.query(`SELECT * FROM ${db.table('mongock_change_log')}`)).rows[0];
      expect(row).toMatchObject({ change_id: 'a', author: 'pg', state: 'EXECUTED', type: 'EXECUTION', system_change: false, metadata: { release: 'r1' } });
      expect(row.timestamp).toBeInstanceOf(Date);
      const lock = (await db.admin.query(`SELECT * FROM ${db.table('mongock_lock')}`)).rows[0];
      expect(lock).toMatchObject({ lock_key: 'DEFAULT_KEY', owner: null, fence: '1', in_progress: null });
    });

    it('uses other repository names verbatim', async () => {
      await runner(options, [marker('a', '001')], (b) => b.setMigrationRepositoryName('AppHistory').setLockRepositoryName('app_lock')).execute();
      expect(await tables()).toEqual(['AppHistory', 'app_lock', 'markers']);
    });

    it("defaults to the connection's current schema", async () => {
      const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}`;
      await runner({ connectionString: url }, [marker('a', '001')]).execute();
      expect(await tables()).toEqual(['markers', 'mongock_change_log', 'mongock_lock']);
    });
  });

  describe('transactions', () => {
    it('rolls DDL back with a failing transactional unit and records FAILED outside it', async () => {
      const failing = defineChangeUnit<PostgresChangeContext>({
        id: 'ddl',
        order: '001',
        author: 'pg',
        execute: async ({ sql }) => {
          await sql.query(`CREATE TABLE ${db.table('created_by_unit')} (id int)`);
          await sql.query(`INSERT INTO ${db.table('markers')} (name) VALUES ('ddl')`);
          throw new Error('boom after DDL');
        },
        rollback: async () => {},
      });
      const error = await runner(options, [failing])
        .execute()
        .catch((e: unknown) => e);
      expect(isMongockError(error, 'CHANGE_FAILED'), String(error)).toBe(true);
      expect(await tables()).not.toContain('created_by_unit');
      expect(await count('ddl')).toBe(0);
      const states = await db.admin.query(`SELECT state FROM ${db.table('mongock_change_log')} WHERE change_id = 'ddl'`);
      expect(states.rows).toEqual([{ state: 'FAILED' }]);
    });

    it("transactionStrategy 'execution': a later unit's failure takes every unit of the run back, DDL included", async () => {
      const table = defineChangeUnit<PostgresChangeContext>({
        id: 'table',
        order: '001',
        author: 'pg',
        execute: async ({ sql }) => void (await sql.query(`CREATE TABLE ${db.table('whole_run')} (id int)`)),
        rollback: async () => {},
      });
      const failing = marker('fails', '002', {
        execute: async ({ sql }: PostgresChangeContext) => {
          await sql.query(`INSERT INTO ${db.table('markers')} (name) VALUES ('fails')`);
          throw new Error('second unit fails');
        },
      });
      const error = await runner(options, [table, marker('m', '001b'), failing], (b) => b.setTransactionStrategy('execution'))
        .execute()
        .catch((e: unknown) => e);
      expect(isMongockError(error, 'CHANGE_FAILED'), String(error)).toBe(true);
      expect(await tables()).not.toContain('whole_run');
      expect(await count('m')).toBe(0);
      expect(await count('fails')).toBe(0);
      const states = await db.admin.query(`SELECT change_id, state FROM ${db.table('mongock_change_log')} ORDER BY id`);
      expect(states.rows).toEqual([{ change_id: 'fails', state: 'FAILED' }]);
    });

    it('runs CREATE INDEX CONCURRENTLY in a transactional: false unit, and refuses it inside a transaction', async () => {
      const cic = (id: string, transactional: boolean): Unit =>
        defineChangeUnit<PostgresChangeContext>({
          id,
          order: '001',
          author: 'pg',
          transactional,
          execute: async ({ sql }) => void (await sql.query(`CREATE INDEX CONCURRENTLY ${id} ON ${db.table('markers')} (name)`)),
          rollback: async ({ sql }) => void (await sql.query(`DROP INDEX CONCURRENTLY IF EXISTS "${db.schema}".${id}`)),
        });
      const refused = await runner(options, [cic('markers_in_tx', true)])
        .execute()
        .catch((e: unknown) => e);
      expect(isMongockError(refused, 'CHANGE_FAILED')).toBe(true);
      expect(((refused as Error).cause as Error).message).toMatch(/cannot run inside a transaction block/);

      const result = await runner(options, [cic('markers_name_idx', false)]).execute();
      expect(result.executed).toBe(1);
      const index = await db.admin.query(
        `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'markers_name_idx'`,
        [db.schema],
      );
      expect(index.rows).toEqual([{ indisvalid: true }]);
      const lock = (await db.admin.query(`SELECT in_progress FROM ${db.table('mongock_lock')}`)).rows[0];
      expect(lock.in_progress).toBeNull();
    });

    it('rejects a unit that swallowed an SQL error (PostgreSQL aborted its transaction) instead of committing half of it', async () => {
      const swallowing = defineChangeUnit<PostgresChangeContext>({
        id: 'swallow',
        order: '001',
        author: 'pg',
        execute: async ({ sql }) => {
          await sql.query(`INSERT INTO ${db.table('markers')} (name) VALUES ('swallow')`);
          await sql.query('SELECT 1/0').catch(() => undefined);
        },
        rollback: async () => {},
      });
      const error = await runner(options, [swallowing])
        .execute()
        .catch((e: unknown) => e);
      expect(isMongockError(error, 'CHANGE_FAILED'), String(error)).toBe(true);
      expect(((error as Error).cause as Error).message).toMatch(/aborted by an earlier SQL error/);
      expect(await count('swallow')).toBe(0);
    });

    it("a deferred constraint of the change's own data that fails at COMMIT: named as the commit's refusal, the change and its entry both rolled back", async () => {
      await db.admin.query(`CREATE TABLE ${db.table('parents')} (id int PRIMARY KEY)`);
      await db.admin.query(`CREATE TABLE ${db.table('children')} (parent int REFERENCES ${db.table('parents')} (id) DEFERRABLE INITIALLY DEFERRED)`);
      const orphan = defineChangeUnit<PostgresChangeContext>({
        id: 'orphan',
        order: '001',
        author: 'pg',
        // Accepted by the INSERT, refused by the COMMIT that checks the deferred foreign key.
        execute: async ({ sql }) => void (await sql.query(`INSERT INTO ${db.table('children')} (parent) VALUES (42)`)),
        rollback: async () => {},
      });
      const error = await runner(options, [orphan])
        .execute()
        .catch((e: unknown) => e);
      expect(isMongockError(error, 'CHANGE_FAILED'), String(error)).toBe(true);
      const refusal = (error as Error).cause as MongockError;
      expect(refusal.code).toBe('DRIVER_ERROR');
      expect(refusal.message).toMatch(/refused to commit change 'orphan' by 'pg' \(execution id '[^']+'\) with its EXECUTED entry/);
      expect(refusal.message).toMatch(/children_parent_fkey/);
      expect(refusal.message).toContain('a deferred constraint is checked at COMMIT');
      expect((refusal.cause as { code?: string }).code).toBe('23503');
      expect(Number((await db.admin.query(`SELECT count(*) AS n FROM ${db.table('children')}`)).rows[0].n)).toBe(0);
      const states = await db.admin.query(`SELECT state FROM ${db.table('mongock_change_log')} WHERE change_id = 'orphan'`);
      expect(states.rows.map((row: { state: string }) => row.state)).toEqual(['FAILED']);
    });

    it("gives units the guarded handle and the session's raw client, both in the unit's transaction", async () => {
      let sameSession = false;
      const unit = defineChangeUnit<PostgresChangeContext>({
        id: 'ctx',
        order: '001',
        author: 'pg',
        execute: async ({ sql, client }) => {
          const [viaSql] = await sql.rows<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          const viaClient = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number };
          sameSession = viaSql!.pid === viaClient.pid;
          await client.query(`INSERT INTO ${db.table('markers')} (name) VALUES ('ctx')`);
          throw new Error('undo both');
        },
        rollback: async () => {},
      });
      await runner(options, [unit])
        .execute()
        .catch(() => undefined);
      expect(sameSession, 'same session').toBe(true);
      expect(await count('ctx')).toBe(0);

      const connection = await postgresDriver(options).connect(SETTINGS);
      try {
        const attempt = await connection.lock.tryAcquire({ owner: 'o', leaseMs: 1000, hostname: 'h', onLost: () => {} });
        if (!attempt.acquired) throw new Error('not acquired');
        const refused = new MongockError('LOCK_LOST', 'guard says no');
        const guard = { ensure: async () => Promise.reject(refused) };
        const error = await connection
          .runInScope({ transactional: false, lease: attempt.lease, guard }, (scope) =>
            scope.context.sql.query(`INSERT INTO ${db.table('markers')} (name) VALUES ('unguarded')`),
          )
          .catch((e: unknown) => e);
        expect(error).toBe(refused);
        expect(await count('unguarded')).toBe(0);
        await connection.lock.release(attempt.lease);
      } finally {
        await connection.close();
      }
    });
  });

  describe('lock', () => {
    it('shows the holder (owner, host, since) to status() and in the wait-timeout message', async () => {
      const holder = await postgresDriver(options).connect(SETTINGS);
      try {
        const attempt = await holder.lock.tryAcquire({ owner: 'runner-A', leaseMs: 1000, hostname: 'host-A', onLost: () => {} });
        expect(attempt.acquired).toBe(true);
        const status = await runner(options, [marker('a', '001')]).status();
        expect(status.lock).toMatchObject({ owner: 'runner-A', hostname: 'host-A', expired: false, expiresAt: null, inProgress: null });
        expect(Date.now() - status.lock!.acquiredAt!.getTime()).toBeLessThan(10_000);
        const started = Date.now();
        const error = await runner(options, [marker('a', '001')], (b) => b.setLockConfig({ acquiredForMs: 3000, tryFrequencyMs: 100, quitTryingAfterMs: 600 }))
          .execute()
          .catch((e: unknown) => e);
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(isMongockError(error, 'LOCK_NOT_ACQUIRED')).toBe(true);
        expect((error as Error).message).toMatch(/held by runner-A on host-A since \d{4}-/);
        expect(await count('a')).toBe(0);
      } finally {
        await holder.close();
      }
      // The holder closed without releasing: its connection's end released the advisory lock.
      const result = await runner(options, [marker('a', '001')]).execute();
      expect(result.executed).toBe(1);
    });

    it('gives each schema its own advisory lock', async () => {
      const other = await createTestSchema();
      try {
        const a = await postgresDriver(options).connect(SETTINGS);
        const b = await postgresDriver({ connectionString: POSTGRES_URL, schema: other.schema }).connect(SETTINGS);
        try {
          const onLost = () => {};
          expect((await a.lock.tryAcquire({ owner: 'a', leaseMs: 1000, hostname: 'h', onLost })).acquired).toBe(true);
          expect((await b.lock.tryAcquire({ owner: 'b', leaseMs: 1000, hostname: 'h', onLost })).acquired).toBe(true);
        } finally {
          await a.close();
          await b.close();
        }
      } finally {
        await other.drop();
      }
    });
  });

  describe('connections', () => {
    it('with a pool: checks out one client for the run and gives it back without any lock', async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 3 });
      try {
        const result = await runner({ pool, schema: db.schema }, [marker('a', '001'), marker('b', '002')]).execute();
        expect(result.executed).toBe(2);
        expect(pool.totalCount).toBe(1);
        expect(pool.idleCount).toBe(1);
        const pooled = await pool.connect();
        try {
          const { rows } = await pooled.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
          expect(rows[0].n).toBe('0');
        } finally {
          pooled.release();
        }
      } finally {
        await pool.end();
      }
    });

    it('with a client: uses it as is and leaves it open and usable', async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const result = await runner({ client, schema: db.schema }, [marker('a', '001')]).execute();
        expect(result.executed).toBe(1);
        const { rows } = await client.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
        expect(rows[0].n).toBe('0');
        expect(client.listenerCount('error')).toBe(0);
        // A caller that closes without releasing does not leave the lock on the user's session.
        const connection = await postgresDriver({ client, schema: db.schema }).connect(SETTINGS);
        expect((await connection.lock.tryAcquire({ owner: 'o', leaseMs: 1000, hostname: 'h', onLost: () => {} })).acquired).toBe(true);
        await connection.close();
        expect(await db.advisoryLocks()).toEqual([]);
        expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await client.end();
      }
    });
  });

  describe('bad input: clear errors, nothing applied', () => {
    const expectDriverError = async (promise: Promise<unknown>, pattern: RegExp) => {
      const error = await promise.catch((e: unknown) => e);
      expect(isMongockError(error, 'DRIVER_ERROR'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).not.toMatch(/mongock:mongock@/);
      return error as MongockError;
    };

    it('rejects invalid options at once', () => {
      expect(() => postgresDriver({} as PostgresDriverOptions)).toThrow(/exactly one of/);
      expect(() => postgresDriver({ connectionString: POSTGRES_URL, client: {} as never })).toThrow(/exactly one of/);
      expect(() => postgresDriver({ connectionString: POSTGRES_URL, schema: '' })).toThrow(/schema must be a non-empty string/);
    });

    it('an unreachable server', async () => {
      await expectDriverError(
        runner({ connectionString: 'postgres://mongock:mongock@127.0.0.1:1/mongock_test' }, [marker('a', '001')]).execute(),
        /Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/mongock_test: the connection was refused\. Check that the server is running/,
      );
    });

    it('a wrong password', async () => {
      const url = new URL(POSTGRES_URL);
      url.password = 'not-the-password';
      await expectDriverError(
        runner({ connectionString: url.toString(), schema: db.schema }, [marker('a', '001')]).execute(),
        /refused the credentials \(password authentication failed for user "mongock"\)\. Check the user name and password/,
      );
      expect(await tables()).toEqual(['markers']);
    });

    it('a schema that does not exist', async () => {
      await expectDriverError(
        runner({ connectionString: POSTGRES_URL, schema: `${db.schema}_missing` }, [marker('a', '001')]).execute(),
        new RegExp(`Schema "${db.schema}_missing" does not exist in database "mongock_test"\\. Create it \\(CREATE SCHEMA "${db.schema}_missing";\\)`),
      );
      const schemas = await db.admin.query('SELECT count(*) AS n FROM pg_namespace WHERE nspname = $1', [`${db.schema}_missing`]);
      expect(schemas.rows[0].n).toBe('0');
    });

    it('a role without USAGE on the schema', async () => {
      await expectDriverError(
        runner({ connectionString: POSTGRES_LIMITED_URL, schema: db.schema }, [marker('a', '001')]).execute(),
        /Role "mongock_limited" may not use schema .*GRANT USAGE ON SCHEMA/,
      );
    });

    it('a role that may not create the tables: nothing created, no marker, no lock left', async () => {
      await db.admin.query(`GRANT USAGE ON SCHEMA "${db.schema}" TO mongock_limited`);
      await db.admin.query(`GRANT SELECT, INSERT, DELETE ON ${db.table('markers')} TO mongock_limited`);
      const error = await expectDriverError(
        runner({ connectionString: POSTGRES_LIMITED_URL, schema: db.schema }, [marker('a', '001')]).execute(),
        /Cannot create the lock table ".*"\."mongock_lock": permission denied for schema .*Nothing was changed\. Grant the role CREATE on the schema/,
      );
      expect(sqlStateOf(error.cause)).toBe('42501');
      expect(await tables()).toEqual(['markers']);
      expect(await count('a')).toBe(0);
      expect(await db.advisoryLocks()).toEqual([]);
    });

    it('a role that may use a pre-created lock table but not create the history table', async () => {
      // What a DBA who provisions the lock table by hand (docs/postgres.md) but forgot the history table gets.
      await db.admin.query(
        `CREATE TABLE ${db.table('mongock_lock')} (lock_key text PRIMARY KEY, owner text, hostname text, acquired_at timestamptz, backend_pid integer, fence bigint NOT NULL, in_progress jsonb)`,
      );
      await db.admin.query(`GRANT USAGE ON SCHEMA "${db.schema}" TO mongock_limited`);
      await db.admin.query(`GRANT SELECT, INSERT, UPDATE ON ${db.table('mongock_lock')} TO mongock_limited`);
      await db.admin.query(`GRANT SELECT, INSERT, DELETE ON ${db.table('markers')} TO mongock_limited`);
      await expectDriverError(
        runner({ connectionString: POSTGRES_LIMITED_URL, schema: db.schema }, [marker('a', '001')]).execute(),
        /Cannot create the history table ".*"\."mongock_change_log": permission denied for schema/,
      );
      expect(await tables()).toEqual(['markers', 'mongock_lock']);
      expect(await count('a')).toBe(0);
      expect(await db.advisoryLocks()).toEqual([]);
      const lock = (await db.admin.query(`SELECT owner, in_progress FROM ${db.table('mongock_lock')}`)).rows[0];
      expect(lock).toEqual({ owner: null, in_progress: null });
    });
  });
});

function sqlStateOf(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}
