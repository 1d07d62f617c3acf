// One OS process of the reliability suite. Usage: worker.ts '<json spec>' (see `Spec`).
// Each unit writes `rows` effect rows (the side-effect counter) and deletes them in its rollback.
// Prints `STARTED <id> <ms since execute() began>` when a unit starts, `MIDWAY <id>` where a
// unit hangs, and one JSON line at the end: { status, executed, recovered, failed } or { error, message }.

import { existsSync } from 'node:fs';
import { type MongoChangeContext, mongoDriver } from '../../../src/drivers/mongodb/index.ts';
import { MongoHistory } from '../../../src/drivers/mongodb/mongodb-history.ts';
import { type MysqlChangeContext, mysqlDriver } from '../../../src/drivers/mysql/index.ts';
import { type PostgresChangeContext, postgresDriver } from '../../../src/drivers/postgres/index.ts';
import { type SqliteChangeContext, sqliteDriver } from '../../../src/drivers/sqlite/index.ts';
import { type ChangeUnitSource, type Driver, defineChangeUnit, isMongockError, type Logger, MongockBuilder } from '../../../src/index.ts';
import type { WorkerSpec } from './worker-spec.ts';

const spec = JSON.parse(process.argv[2]!) as WorkerSpec;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => void process.stdout.write(`${line}\n`);

type Writer = (context: object, unit: string, i: number) => Promise<void>;
type Cleaner = (context: object, unit: string) => Promise<void>;
type Runner = (context: object, statement: string) => Promise<void>;
const extra = spec.driverOptions ?? {};

function driverFor(): { driver: Driver<object>; write: Writer; clean: Cleaner; run: Runner } {
  switch (spec.driver) {
    case 'sqlite':
      return {
        driver: sqliteDriver({ filename: spec.target, ...extra }) as Driver<object>,
        run: async (context, statement) => void (await (context as SqliteChangeContext).sql.exec(statement)),
        write: async (context, unit, i) => {
          const { sql } = context as SqliteChangeContext;
          await sql.exec('CREATE TABLE IF NOT EXISTS effects (unit TEXT NOT NULL, i INTEGER NOT NULL, pid INTEGER NOT NULL)');
          await sql.run('INSERT INTO effects (unit, i, pid) VALUES (?, ?, ?)', unit, i, process.pid);
        },
        clean: async (context, unit) => void (await (context as SqliteChangeContext).sql.run('DELETE FROM effects WHERE unit = ?', unit)),
      };
    case 'mongodb': {
      const [uri, databaseName] = spec.target.split('|') as [string, string];
      return {
        driver: mongoDriver({ uri, databaseName, clientOptions: { serverSelectionTimeoutMS: 5_000 }, ...extra }) as Driver<object>,
        run: async (context, statement) => void (await (context as MongoChangeContext).db.command(JSON.parse(statement))),
        // Inside the unit's transaction on a replica set (session undefined on a standalone server).
        write: async (context, unit, i) => {
          const { db, session } = context as MongoChangeContext;
          await db.collection('effects').insertOne({ unit, i, pid: process.pid }, session === undefined ? {} : { session });
        },
        clean: async (context, unit) => {
          const { db, session } = context as MongoChangeContext;
          await db.collection('effects').deleteMany({ unit }, session === undefined ? {} : { session });
        },
      };
    }
    case 'postgres': {
      const [connectionString, schema] = spec.target.split('|') as [string, string];
      const table = `"${schema}".effects`;
      return {
        driver: postgresDriver({ connectionString, schema, ...extra }) as Driver<object>,
        run: async (context, statement) => void (await (context as PostgresChangeContext).sql.query(statement)),
        write: async (context, unit, i) => {
          const { sql } = context as PostgresChangeContext;
          await sql.query(`CREATE TABLE IF NOT EXISTS ${table} (unit text NOT NULL, i int NOT NULL, pid int NOT NULL)`);
          await sql.query(`INSERT INTO ${table} (unit, i, pid) VALUES ($1, $2, $3)`, [unit, i, process.pid]);
        },
        clean: async (context, unit) => void (await (context as PostgresChangeContext).sql.query(`DELETE FROM ${table} WHERE unit = $1`, [unit])),
      };
    }
    case 'mysql':
      return {
        driver: mysqlDriver({ uri: spec.target, ...extra }) as Driver<object>,
        run: async (context, statement) => void (await (context as MysqlChangeContext).sql.run(statement)),
        write: async (context, unit, i) => {
          // The effects table exists already (test/reliability/support.ts): DDL here would commit the unit's transaction.
          const { sql } = context as MysqlChangeContext;
          await sql.run('INSERT INTO effects (unit, i, pid) VALUES (?, ?, ?)', [unit, i, process.pid]);
        },
        clean: async (context, unit) => void (await (context as MysqlChangeContext).sql.run('DELETE FROM effects WHERE unit = ?', [unit])),
      };
  }
}

const { driver, write, clean, run } = driverFor();

if (spec.pauseAtHistoryWrite !== undefined) {
  // The window between the driver's fence check and its history write, held open by a real stop.
  const save = MongoHistory.prototype.save;
  MongoHistory.prototype.save = async function (this: MongoHistory, ...args: Parameters<typeof save>) {
    const [entry] = args;
    if (entry.changeId === spec.pauseAtHistoryWrite && entry.state === 'EXECUTED') {
      say(`AT history-write ${entry.changeId}`);
      process.kill(process.pid, 'SIGSTOP');
    }
    return save.apply(this, args);
  };
}

const units: ChangeUnitSource[] = spec.units.map((unit, index) =>
  defineChangeUnit<object>({
    id: unit.id,
    order: String(index + 1).padStart(3, '0'),
    author: 'reliability',
    ...(unit.transactional === undefined ? {} : { transactional: unit.transactional }),
    ...(unit.timeoutMs === undefined ? {} : { timeoutMs: unit.timeoutMs }),
    async execute(context: object) {
      const rows = unit.rows ?? 10;
      for (let i = 0; i < rows; i++) {
        await write(context, unit.id, i);
        if (i === Math.floor(rows / 2)) {
          if (unit.hang === true) {
            say(`MIDWAY ${unit.id}`);
            await new Promise(() => {}); // never settles
          }
          if (unit.sleepMs !== undefined) await sleep(unit.sleepMs);
          while (unit.untilFile !== undefined && !existsSync(unit.untilFile)) await sleep(50);
          if (unit.statement !== undefined) await run(context, unit.statement);
        }
      }
    },
    async rollback(context: object) {
      await clean(context, unit.id);
    },
  } as Parameters<typeof defineChangeUnit<object>>[0]),
);

const warnings: string[] = [];
const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };

const builder = new MongockBuilder()
  .setDriver(driver)
  .addChangeUnits(...units)
  .setLogger(logger)
  .setLockConfig({ acquiredForMs: spec.lease ?? 60_000, tryFrequencyMs: 100, quitTryingAfterMs: spec.quit ?? 60_000 });
if (spec.executionTimeoutMs !== undefined) builder.setExecutionTimeoutMs(spec.executionTimeoutMs);
const runner = builder.buildRunner();

const t0 = performance.now();
const elapsedMs = () => Math.round(performance.now() - t0);
try {
  if (spec.action === 'status') {
    const status = await runner.status();
    say(JSON.stringify({ status: 'status', lock: status.lock }));
  } else if (spec.action === 'unlock' || spec.action === 'unlock-force') {
    const unlocked = await runner.unlock({ force: spec.action === 'unlock-force' });
    say(JSON.stringify({ status: 'unlocked', released: unlocked.released, holder: unlocked.holder }));
  } else {
    let began = 0;
    runner.on('migration-started', () => {
      began = performance.now();
    });
    runner.on('lock-acquired', () => say(`ACQUIRED ${Math.round(performance.now() - began)}`));
    runner.on('lock-waiting', ({ holder }) => say(`WAITING ${holder ?? 'unknown'}`));
    runner.on('unit-started', ({ changeId }) => say(`STARTED ${changeId} ${Math.round(performance.now() - began)}`));
    const result = await runner.execute();
    const ids = (outcome: string) => result.items.filter((item) => item.outcome === outcome).map((item) => item.changeId);
    say(
      JSON.stringify({
        status: result.status,
        executed: ids('executed'),
        recovered: ids('recovered'),
        failed: result.failed,
        warnings,
        elapsedMs: elapsedMs(),
      }),
    );
  }
} catch (error) {
  const code = isMongockError(error) ? error.code : 'UNEXPECTED';
  say(JSON.stringify({ error: code, message: (error as Error).message, warnings, elapsedMs: elapsedMs() }));
  process.exitCode = 1;
}
