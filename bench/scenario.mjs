// One measured process: a tool starting up (everything applied) or applying every unit of a
// folder, on one database. `node bench/scenario.mjs '<json>'`; bench/run.mjs times it from outside
// (wall time of the whole process) and reads the one line it prints: { rss } (peak RSS, kB).
// Every tool is driven through its documented programmatic API, as a service would at start-up.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const job = JSON.parse(process.argv[2]);
const { tool, mode, db, target, dir } = job;

const tools = {
  /** The floor: connect and read Mongock's history, nothing else. */
  async baseline() {
    if (db === 'postgres') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      const { rows } = await client.query('SELECT * FROM mongock_change_log');
      await client.end();
      return rows.length;
    }
    if (db === 'mongodb') {
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(target.url);
      const docs = await client.db(target.database).collection('mongockChangeLog').find({}).toArray();
      await client.close();
      return docs.length;
    }
    if (db === 'sqlite') {
      const { default: Database } = await import('better-sqlite3');
      const database = new Database(target.file);
      const rows = database.prepare('SELECT * FROM mongockChangeLog').all();
      database.close();
      return rows.length;
    }
    const mysql = await import('mysql2/promise');
    const connection = await mysql.createConnection(target.url);
    const [rows] = await connection.query(`SELECT * FROM ${target.historyTable}`);
    await connection.end();
    return rows.length;
  },

  async mongock() {
    const { MongockBuilder, silentLogger } = await import('mongock');
    const builder = new MongockBuilder().setLogger(silentLogger).setDriver(await mongockDriver());
    if (job.strategy !== undefined) builder.setTransactionStrategy(job.strategy);
    if (job.variant === 'memory') {
      const { units } = await import(pathToFileURL(join(dir, 'units.mjs')).href);
      builder.addChangeUnits(...units);
    } else {
      builder.addMigrationScanPath(dir);
    }
    if (db === 'mysql') builder.setMigrationRepositoryName(target.historyTable).setLockRepositoryName(target.lockTable);
    const result = await builder.buildRunner().execute();
    const expected = mode === 'startup' ? 'up-to-date' : 'completed';
    if (result.status !== expected) throw new Error(`mongock: ${result.status}, expected ${expected}`);
    return result.executed;
  },

  async knex() {
    const { default: knex } = await import('knex');
    const instance = knex({ client: 'pg', connection: target.url });
    try {
      const [, applied] = await instance.migrate.latest({ directory: dir, loadExtensions: ['.js'] });
      return applied.length;
    } finally {
      await instance.destroy();
    }
  },

  async kysely() {
    const { promises: fs } = await import('node:fs');
    const path = await import('node:path');
    const { Kysely, PostgresDialect, Migrator, FileMigrationProvider } = await import('kysely');
    const { default: pg } = await import('pg');
    const database = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: target.url, max: 1 }) }) });
    try {
      // Kysely looks for its tables in every schema: name the schema, or it finds another run's.
      const migrator = new Migrator({
        db: database,
        provider: new FileMigrationProvider({ fs, path, migrationFolder: dir }),
        migrationTableSchema: target.schema,
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) throw error;
      return results.length;
    } finally {
      await database.destroy();
    }
  },

  async 'node-pg-migrate'() {
    const { runner } = await import('node-pg-migrate');
    const applied = await runner({
      databaseUrl: target.url,
      dir,
      direction: 'up',
      schema: target.schema,
      migrationsSchema: target.schema,
      migrationsTable: 'pgmigrations',
      logger: silent,
    });
    return applied.length;
  },

  async 'migrate-mongo'() {
    const { config, database, up } = await import('migrate-mongo');
    config.set({
      mongodb: { url: target.url, databaseName: target.database, options: {} },
      migrationsDir: dir,
      changelogCollectionName: 'changelog',
      migrationFileExtension: '.js',
      useFileHash: false,
      moduleSystem: 'commonjs',
    });
    const { db: mongo, client } = await database.connect();
    try {
      return (await up(mongo, client)).length;
    } finally {
      await client.close();
    }
  },

  async umzug() {
    const { Umzug, MongoDBStorage } = await import('umzug');
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(target.url);
    try {
      const umzug = new Umzug({
        migrations: { glob: ['*.js', { cwd: dir }] },
        storage: new MongoDBStorage({ collection: client.db(target.database).collection('migrations') }),
        logger: undefined,
      });
      return (await umzug.up()).length;
    } finally {
      await client.close();
    }
  },

  async 'mongo-migrate-ts'() {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const { up } = require('mongo-migrate-ts/dist/lib/commands/up');
    // Its spinners write to the terminal; the bench does not measure them.
    process.stderr.write = () => true;
    await up({ config: { uri: target.url, database: target.database, migrationsDir: dir, globPattern: '*.js', migrationsCollection: 'migrations_changelog' } });
    return -1;
  },
};

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function mongockDriver() {
  if (db === 'postgres') return (await import('mongock/postgres')).postgresDriver({ connectionString: target.url });
  if (db === 'mongodb') return (await import('mongock/mongodb')).mongoDriver({ uri: target.url, databaseName: target.database });
  if (db === 'sqlite') return (await import('mongock/sqlite')).sqliteDriver({ filename: target.file });
  return (await import('mongock/mysql')).mysqlDriver({ uri: target.url });
}

const run = tools[tool];
if (run === undefined) throw new Error(`unknown tool ${tool}`);
const count = await run();
if (mode === 'apply' && count !== -1 && count !== job.n) throw new Error(`${tool} applied ${count}, expected ${job.n}`);
process.stdout.write(`${JSON.stringify({ rss: process.resourceUsage().maxRSS })}\n`);
