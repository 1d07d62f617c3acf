import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import { FileMigrationProvider, Kysely, Migrator, PostgresDialect } from 'kysely';
import { runner as pgMigrate } from 'node-pg-migrate';
import pg from 'pg';
import { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver } from '../../src/drivers/driver.ts';
import { mysqlDriver } from '../../src/drivers/mysql/index.ts';
import { postgresDriver } from '../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { MongockBuilder } from '../../src/runner/mongock-builder.ts';
import type { SqlPeer } from '../../src/runner/mongock-config.ts';
import { createTestDatabase } from '../support/mysql-harness.ts';
import { createTestSchema, type PostgresTestSchema } from '../support/postgres-harness.ts';
import { POSTGRES_URL } from '../support/servers.ts';

/**
 * Each peer runs three migrations of its own on a real PostgreSQL schema; the team then converts two
 * of them to `.sql` units with the same names (the third was a demo seed they drop), adds a new one,
 * and switches: nothing re-runs (the converted files would fail if they did: CREATE TABLE without
 * IF NOT EXISTS; and the `runs` table counts every execution), the new unit runs once.
 */
interface Peer {
  readonly from: SqlPeer;
  readonly table: string;
  /** The names the peer records, in order, for migrations m1, m2, m3. */
  readonly names: readonly [string, string, string];
  migrate(db: PostgresTestSchema, dir: string, sql: readonly [string, string, string]): Promise<void>;
}

const PEER_TMP = join(import.meta.dirname, '..', '..', 'node_modules', '.mongock-peer-tests');

const PEERS: readonly Peer[] = [
  {
    from: 'knex',
    table: 'knex_migrations',
    names: ['20240101000000_create_users.cjs', '20240102000000_seed_admin.cjs', '20240103000000_demo_rows.cjs'],
    async migrate(db, dir, sql) {
      for (const [i, name] of this.names.entries())
        writeFileSync(join(dir, name), `exports.up = (knex) => knex.raw(${JSON.stringify(sql[i])});\nexports.down = async () => {};\n`);
      const knex = knexFactory({ client: 'pg', connection: POSTGRES_URL, searchPath: [db.schema] });
      try {
        await knex.migrate.latest({ directory: dir, schemaName: db.schema, loadExtensions: ['.cjs'] });
      } finally {
        await knex.destroy();
      }
    },
  },
  {
    from: 'kysely',
    table: 'kysely_migration',
    names: ['20240101_create_users', '20240102_seed_admin', '20240103_demo_rows'],
    async migrate(db, dir, sql) {
      for (const [i, name] of this.names.entries())
        writeFileSync(
          join(dir, `${name}.mjs`),
          `import { sql } from 'kysely';\nexport async function up(db) { await sql.raw(${JSON.stringify(sql[i])}).execute(db); }\n`,
        );
      const kysely = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: POSTGRES_URL, max: 2 }) }) });
      try {
        const { promises: fs } = await import('node:fs');
        const path = await import('node:path');
        const migrator = new Migrator({ db: kysely, provider: new FileMigrationProvider({ fs, path, migrationFolder: dir }), migrationTableSchema: db.schema });
        const { error } = await migrator.migrateToLatest();
        if (error !== undefined) throw error;
      } finally {
        await kysely.destroy();
      }
    },
  },
  {
    from: 'node-pg-migrate',
    table: 'pgmigrations',
    names: ['1704067200000_create-users', '1704153600000_seed-admin', '1704240000000_demo-rows'],
    async migrate(db, dir, sql) {
      for (const [i, name] of this.names.entries())
        writeFileSync(join(dir, `${name}.mjs`), `export const up = (pgm) => { pgm.sql(${JSON.stringify(sql[i])}); };\n`);
      await pgMigrate({
        databaseUrl: POSTGRES_URL,
        dir,
        direction: 'up',
        migrationsTable: 'pgmigrations',
        migrationsSchema: db.schema,
        schema: db.schema,
        log: () => {},
      });
    },
  },
  {
    from: 'umzug',
    table: 'SequelizeMeta',
    names: ['01_create_users.sql', '02_seed_admin.sql', '03_demo_rows.sql'],
    async migrate(db, dir, sql) {
      for (const [i, name] of this.names.entries()) writeFileSync(join(dir, name), sql[i]!);
      // umzug's own SequelizeStorage on a real Sequelize: the "SequelizeMeta" table a Sequelize team has.
      const sequelize = new Sequelize(POSTGRES_URL, { logging: false, define: { schema: db.schema } });
      const { readFileSync } = await import('node:fs');
      const umzug = new Umzug({
        migrations: {
          glob: ['*.sql', { cwd: dir }],
          resolve: ({ name, path }) => ({ name, up: async () => void (await sequelize.query(readFileSync(path!, 'utf8'))) }),
        },
        storage: new SequelizeStorage({ sequelize, schema: db.schema }),
        logger: undefined,
      });
      try {
        await umzug.up();
      } finally {
        await sequelize.close();
      }
    },
  },
];

describe.each(PEERS)('switching from $from on PostgreSQL', (peer) => {
  let db: PostgresTestSchema;
  let root: string;
  beforeEach(async () => {
    db = await createTestSchema('mongock_peer');
    // Under node_modules, so that the peers' migration files resolve 'kysely' as an app's would.
    mkdirSync(PEER_TMP, { recursive: true });
    root = mkdtempSync(join(PEER_TMP, `${peer.from}-`));
  });
  afterEach(async () => {
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  const runs = async () => (await db.admin.query(`SELECT name FROM ${db.table('runs')} ORDER BY name`)).rows.map((row: { name: string }) => row.name);

  it('imports its history once: nothing re-runs, a new unit runs once, doctor names the row no unit claims', async () => {
    const s = db.schema;
    const sql = [
      `CREATE TABLE "${s}".users (id serial PRIMARY KEY, name text NOT NULL); CREATE TABLE "${s}".runs (name text NOT NULL)`,
      `INSERT INTO "${s}".users (name) VALUES ('admin'); INSERT INTO "${s}".runs VALUES ('m2')`,
      `INSERT INTO "${s}".runs VALUES ('m3-demo')`,
    ] as const;
    const peerDir = join(root, 'peer');
    mkdirSync(peerDir);
    await peer.migrate(db, peerDir, sql);
    expect(await runs()).toEqual(['m2', 'm3-demo']);
    const peerRows = (await db.admin.query(`SELECT * FROM ${db.table(peer.table)}`)).rows;
    expect(peerRows).toHaveLength(3);

    // The team converts m1 and m2 to .sql files of the same names, drops the demo seed, adds m4.
    const units = join(root, 'migrations');
    mkdirSync(units);
    const idOf = (name: string) => name.replace(/\.(cjs|mjs|js|sql)$/, '');
    writeFileSync(join(units, `${idOf(peer.names[0])}.sql`), `${sql[0]};\n-- mongock:rollback\nDROP TABLE "${s}".runs; DROP TABLE "${s}".users;\n`);
    writeFileSync(join(units, `${idOf(peer.names[1])}.sql`), `-- mongock: author=ana\n${sql[1]};\n`);
    writeFileSync(join(units, '99990101_add_flag.sql'), `ALTER TABLE "${s}".users ADD COLUMN flag boolean; INSERT INTO "${s}".runs VALUES ('m4');\n`);
    const mongock = () =>
      new MongockBuilder()
        .setDriver(postgresDriver({ connectionString: POSTGRES_URL, schema: s }))
        .addMigrationScanPath(units)
        .setLegacyMigration({ from: peer.from, table: `${s}.${peer.table}` })
        .setLogger(silentLogger)
        .buildRunner();

    const before = await mongock().diagnose();
    const unclaimed = before.findings.filter((finding) => finding.check === 'unclaimed-legacy-row');
    expect(unclaimed.map((finding) => finding.changeId)).toEqual([idOf(peer.names[2])]);
    expect(unclaimed[0]!.message).toContain(`Row '${peer.names[2]}' of ${s}.${peer.table} (${peer.from})`);

    const first = await mongock().execute();
    expect(first.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual(['99990101_add_flag']);
    expect(await runs()).toEqual(['m2', 'm3-demo', 'm4']);
    const second = await mongock().execute();
    expect(second.executed).toBe(0);
    expect(await runs()).toEqual(['m2', 'm3-demo', 'm4']);

    const history = (await db.admin.query(`SELECT change_id, author, state, system_change FROM ${db.table('mongock_change_log')} ORDER BY id`)).rows.map(
      (row: { change_id: string; author: string; state: string }) => `${row.change_id}:${row.author}:${row.state}`,
    );
    expect(history).toEqual([
      `${idOf(peer.names[0])}:default_author:EXECUTED`,
      `${idOf(peer.names[1])}:ana:EXECUTED`,
      `${idOf(peer.names[2])}:default_author:EXECUTED`,
      'mongock-legacy-migration:mongock:EXECUTED',
      '99990101_add_flag:default_author:EXECUTED',
    ]);
    // The peer's own tables are left as they were.
    expect((await db.admin.query(`SELECT * FROM ${db.table(peer.table)}`)).rows).toEqual(peerRows);
    const status = await mongock().status();
    expect(status.units.map((unit) => `${unit.changeId}=${unit.state}`)).toEqual([
      `${idOf(peer.names[0])}=executed`,
      `${idOf(peer.names[1])}=executed`,
      '99990101_add_flag=executed',
    ]);
  });
});

describe('switching from knex on SQLite and MariaDB', () => {
  let root: string;
  beforeEach(() => {
    mkdirSync(PEER_TMP, { recursive: true });
    root = mkdtempSync(join(PEER_TMP, 'knex-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const scenario = async (knexConfig: Record<string, unknown>, driver: () => Driver<object>, count: () => Promise<number>) => {
    const peerDir = join(root, 'peer');
    const units = join(root, 'migrations');
    mkdirSync(peerDir);
    mkdirSync(units);
    const create = 'CREATE TABLE runs (name VARCHAR(20) NOT NULL)';
    writeFileSync(join(peerDir, '20240101_create_runs.js'), `exports.up = (knex) => knex.raw(${JSON.stringify(create)});\nexports.down = async () => {};\n`);
    const knex = knexFactory({ ...knexConfig, useNullAsDefault: true });
    try {
      await knex.migrate.latest({ directory: peerDir });
    } finally {
      await knex.destroy();
    }
    writeFileSync(join(units, '20240101_create_runs.sql'), `-- mongock: transactional=false\n${create};\n`);
    writeFileSync(join(units, '20240201_first_run.sql'), "INSERT INTO runs VALUES ('new');\n");
    const mongock = () =>
      new MongockBuilder().setDriver(driver()).addMigrationScanPath(units).setLegacyMigration({ from: 'knex' }).setLogger(silentLogger).buildRunner();
    const first = await mongock().execute();
    expect(first.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual(['20240201_first_run']);
    expect((await mongock().execute()).executed).toBe(0);
    expect(await count()).toBe(1);
    expect((await mongock().diagnose()).findings.filter((finding) => finding.check === 'unclaimed-legacy-row')).toEqual([]);
  };

  it('on SQLite (better-sqlite3 client): nothing re-runs, the new unit runs once', async () => {
    const filename = join(root, 'app.db');
    await scenario(
      { client: 'better-sqlite3', connection: { filename } },
      () => sqliteDriver({ filename }) as never,
      async () => {
        const db = new Database(filename);
        try {
          return (db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
        } finally {
          db.close();
        }
      },
    );
  });

  it('on MariaDB (mysql2 client): nothing re-runs, the new unit runs once', async () => {
    const db = await createTestDatabase('mongock_peer');
    try {
      await scenario(
        { client: 'mysql2', connection: db.uri },
        () => mysqlDriver({ uri: db.uri }) as never,
        async () => {
          const [row] = await db.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${db.table('runs')}`);
          return Number(row!.n);
        },
      );
    } finally {
      await db.drop();
    }
  });

  it('refuses an unknown peer and a bad changeIds before connecting', () => {
    const build = (legacy: object) => () =>
      new MongockBuilder()
        .setDriver(sqliteDriver({ filename: join(root, 'x.db') }))
        .setLegacyMigration(legacy as never)
        .buildRunner();
    expect(build({ from: 'flyway' })).toThrow(/legacyMigration\.from' must be one of 'knex', 'kysely', 'node-pg-migrate', 'umzug'; got 'flyway'/);
    expect(build({ from: 'knex', changeIds: 5 })).toThrow(/legacyMigration\.changeIds' must be a function/);
    expect(build({ mapping: {} })).toThrow(/legacyMigration\.origin' \(or 'collection', 'table', or 'from'/);
  });
});
