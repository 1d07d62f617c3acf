// A separate OS process, started with its wall clock shifted (test/e2e/processes/mongodb-clock-offset.mjs
// preloaded with MONGOCK_TEST_CLOCK_OFFSET_MS), that migrates or undoes on one database.
// Usage: skew-runner.ts <sqlite|postgres|mysql|mongodb> <target> <migrate|undo>
//   target: the SQLite file; a PostgreSQL URL whose `schema` search parameter names the schema;
//   a MySQL/MariaDB URL; a MongoDB URI whose path is the database name.
// Units u1 and u2 append (id, 'execute') to `effects` when they run and (id, 'rollback') when rolled
// back: the parent counts what ran. Prints one JSON line { executed, rolledBack, clock }.

import type { Driver } from '../../../src/drivers/driver.ts';
import { mongoDriver } from '../../../src/drivers/mongodb/index.ts';
import { mysqlDriver } from '../../../src/drivers/mysql/index.ts';
import { postgresDriver } from '../../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../../src/index.ts';

const [kind, target, command] = process.argv.slice(2) as [string, string, string];

/** One append to `effects`, through whatever handle the driver's context offers. */
type Effect = (context: Record<string, unknown>, id: string, what: 'execute' | 'rollback') => Promise<void>;

function setup(): { driver: Driver<object>; effect: Effect } {
  switch (kind) {
    case 'sqlite':
      return {
        driver: sqliteDriver({ filename: target }) as Driver<object>,
        effect: async ({ sql }, id, what) => void (await (sql as SqlRun).run('INSERT INTO effects (name, what) VALUES (?, ?)', id, what)),
      };
    case 'postgres': {
      const url = new URL(target);
      const schema = url.searchParams.get('schema')!;
      url.searchParams.delete('schema');
      return {
        driver: postgresDriver({ connectionString: url.href, schema }) as Driver<object>,
        effect: async ({ sql }, id, what) => void (await (sql as SqlQuery).query(`INSERT INTO "${schema}".effects (name, what) VALUES ($1, $2)`, [id, what])),
      };
    }
    case 'mysql':
      return {
        driver: mysqlDriver({ uri: target }) as Driver<object>,
        effect: async ({ sql }, id, what) => void (await (sql as SqlRunArray).run('INSERT INTO effects (name, what) VALUES (?, ?)', [id, what])),
      };
    case 'mongodb': {
      const url = new URL(target);
      const databaseName = url.pathname.slice(1);
      return {
        driver: mongoDriver({ uri: target, databaseName, clientOptions: { serverSelectionTimeoutMS: 5_000 } }) as Driver<object>,
        effect: async ({ db }, id, what) => void (await (db as MongoDbLike).collection('effects').insertOne({ name: id, what })),
      };
    }
    default:
      throw new Error(`unknown driver ${kind}`);
  }
}

interface SqlRun {
  run(sql: string, ...params: unknown[]): Promise<unknown>;
}
interface SqlRunArray {
  run(sql: string, params: unknown[]): Promise<unknown>;
}
interface SqlQuery {
  query(sql: string, params: unknown[]): Promise<unknown>;
}
interface MongoDbLike {
  collection(name: string): { insertOne(document: object): Promise<unknown> };
}

const { driver, effect } = setup();
const units = ['u1', 'u2'].map((id, index) =>
  defineChangeUnit<Record<string, unknown>>({
    id,
    order: String(index + 1).padStart(3, '0'),
    author: 'skew',
    execute: (context) => effect(context, id, 'execute'),
    rollback: (context) => effect(context, id, 'rollback'),
  }),
);

try {
  const runner = new MongockBuilder()
    .setDriver(driver)
    .addChangeUnits(...units)
    .setLogger(silentLogger)
    .setLockConfig({ acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 60_000 })
    .buildRunner();
  const clock = new Date().toISOString();
  if (command === 'undo') {
    const result = await runner.undo({ last: 1 });
    process.stdout.write(`${JSON.stringify({ executed: [], rolledBack: result.items.map((item) => item.changeId), clock })}\n`);
  } else {
    const result = await runner.execute();
    const executed = result.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId);
    process.stdout.write(`${JSON.stringify({ executed, rolledBack: [], clock })}\n`);
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
