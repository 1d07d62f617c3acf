// One replica of a multi-tenant service: migrates every tenant of argv[2] (postgres | mongodb |
// sqlite) with 20 units that each record (tenant, unit, pid) as the side effect the parent counts.
// Prints `RESULT {...}` with the summary and the connections it opened, then exits 0 when no tenant failed.
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { mongoDriver } from '../../../src/drivers/mongodb/index.ts';
import { postgresDriver } from '../../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../../src/drivers/sqlite/index.ts';
import { type ChangeUnitDefinition, type Driver, defineChangeUnit, multiTenantRunner, silentLogger, type Tenant } from '../../../src/index.ts';

const [kind, countText, prefix] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);
const UNITS = 20;
const tenants: Tenant[] = Array.from({ length: count }, (_, i) => ({ id: `${prefix}_${i}` }));

function unitsRecording(record: (ctx: never, tenant: string, unit: string) => Promise<void>): ChangeUnitDefinition<never>[] {
  return Array.from({ length: UNITS }, (_, i) =>
    defineChangeUnit<never>({
      id: `u${String(i + 1).padStart(2, '0')}`,
      order: String(i + 1).padStart(3, '0'),
      author: 'tenants',
      execute: (ctx) => record(ctx, (ctx as { tenant: Tenant }).tenant.id, `u${String(i + 1).padStart(2, '0')}`),
      rollback: () => {},
    }),
  );
}

let connectionsOpened = 0;
let close: () => Promise<void> = async () => {};
let driver: (tenant: Tenant) => Driver<object>;
let changeUnits: ChangeUnitDefinition<never>[];

if (kind === 'postgres') {
  const pool = new pg.Pool({ connectionString: process.env.PG_URL, max: 4, application_name: `mongock-tenants-${prefix}` });
  pool.on('connect', () => connectionsOpened++);
  close = () => pool.end();
  driver = (tenant) => postgresDriver({ pool, schema: tenant.id }) as Driver<object>;
  changeUnits = unitsRecording(async (ctx, tenant, unit) => {
    const { sql } = ctx as { sql: { query(text: string, params: unknown[]): Promise<unknown> } };
    await sql.query(`INSERT INTO "${prefix}_markers".markers (tenant, unit, pid) VALUES ($1, $2, $3)`, [tenant, unit, process.pid]);
  });
} else if (kind === 'mongodb') {
  const client = new MongoClient(process.env.MONGO_URL!, { maxPoolSize: 8 });
  client.on('connectionCreated', () => connectionsOpened++);
  await client.connect();
  close = () => client.close();
  const markers = client.db(`${prefix}_markers`).collection('markers');
  driver = (tenant) => mongoDriver({ client, databaseName: tenant.id }) as Driver<object>;
  changeUnits = unitsRecording(async (_ctx, tenant, unit) => {
    await markers.insertOne({ tenant, unit, pid: process.pid });
  });
} else {
  driver = (tenant) => sqliteDriver({ filename: `${process.env.SQLITE_DIR}/${tenant.id}.db` }) as Driver<object>;
  changeUnits = unitsRecording(async (ctx, tenant, unit) => {
    const { sql } = ctx as { sql: { exec(text: string): Promise<void>; run(text: string, ...params: unknown[]): Promise<unknown> } };
    await sql.exec('CREATE TABLE IF NOT EXISTS markers (tenant TEXT, unit TEXT, pid INTEGER)');
    await sql.run('INSERT INTO markers (tenant, unit, pid) VALUES (?, ?, ?)', tenant, unit, process.pid);
  });
}

const runner = multiTenantRunner({
  changeUnits,
  logger: silentLogger,
  lockConfig: { acquiredForMs: 30_000 },
  tenants: { list: async () => tenants, driver },
});
try {
  const result = await runner.execute();
  const errors = result.tenants.flatMap((tenant) => (tenant.error === undefined ? [] : [`${tenant.tenant}: ${tenant.error.message}`]));
  const executed = result.tenants.reduce((sum, tenant) => sum + (tenant.result?.executed ?? 0), 0);
  console.log(`RESULT ${JSON.stringify({ summary: result.summary, executed, connectionsOpened, errors: errors.slice(0, 3) })}`);
  process.exitCode = result.ok ? 0 : 1;
} finally {
  await close();
}
