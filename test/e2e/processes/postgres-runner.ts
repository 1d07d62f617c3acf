// A separate OS process that migrates one PostgreSQL schema. Configured by environment:
//   PG_URL, PG_SCHEMA          where to migrate (markers go to "<schema>".markers)
//   PG_SCENARIO=markers        five units, each inserting one marker (default)
//   PG_SCENARIO=crash          unit 'multi' creates a table and inserts three markers in its
//                              transaction, then unit 'after' inserts one
//   PG_SCENARIO=nontx          unit 'nontx' (transactional: false) inserts one marker
//   PG_HANG=js|sql             after its writes, the crash/nontx unit prints `IN_UNIT <backend pid>`
//                              and waits (js: an idle await, then one more query; sql: pg_sleep)
//   PG_GATE=<file>             print READY, then wait until this file exists (start many at once)
//   PG_QUIT_AFTER_MS           lockConfig.quitTryingAfterMs (default 60000)
//   PG_OWNER_HOST              serviceIdentifier, to tell processes apart in messages
//   MONGOCK_TEST_ON_INTERRUPTED=fail|rollback  onInterruptedChange (default: the runner's, 'rollback')
// Every unit's rollback deletes its markers, so a rollback and a re-run leave them exactly once.
// Prints `EXECUTION <executionId>` when the run starts, then one line
// `RESULT {status, executed, rolledBack, waited, warnings}` or `ERROR {code, message}` (exit code 2).

import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type PostgresChangeContext, postgresDriver } from '../../../src/drivers/postgres/index.ts';
import { defineChangeUnit, type InterruptedChangePolicy, type Logger, MongockBuilder } from '../../../src/index.ts';

const url = process.env.PG_URL!;
const schema = process.env.PG_SCHEMA!;
const scenario = process.env.PG_SCENARIO ?? 'markers';
const hang = process.env.PG_HANG;
const markers = `"${schema}".markers`;

const insert =
  (id: string) =>
  async ({ sql }: PostgresChangeContext) =>
    void (await sql.query(`INSERT INTO ${markers} (name, pid) VALUES ($1, $2)`, [id, process.pid]));
const remove =
  (id: string) =>
  async ({ sql }: PostgresChangeContext) =>
    void (await sql.query(`DELETE FROM ${markers} WHERE name = $1`, [id]));

async function hangHere({ sql }: PostgresChangeContext): Promise<void> {
  if (hang === undefined) return;
  const [{ pid }] = (await sql.rows<{ pid: number }>('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
  process.stdout.write(`IN_UNIT ${pid}\n`);
  if (hang === 'sql') await sql.query('SELECT pg_sleep(60)');
  else {
    await sleep(hang === 'js' ? 1_500 : 60_000);
    await sql.query('SELECT 1');
  }
}

function units() {
  if (scenario === 'crash') {
    return [
      defineChangeUnit<PostgresChangeContext>({
        id: 'multi',
        order: '001',
        author: 'e2e',
        async execute(ctx) {
          await ctx.sql.query(`CREATE TABLE "${schema}".made_by_multi (id int)`);
          for (let i = 0; i < 3; i++) await insert('multi')(ctx);
          await hangHere(ctx);
        },
        rollback: remove('multi'),
      }),
      defineChangeUnit<PostgresChangeContext>({ id: 'after', order: '002', author: 'e2e', execute: insert('after'), rollback: remove('after') }),
    ];
  }
  if (scenario === 'nontx') {
    return [
      defineChangeUnit<PostgresChangeContext>({
        id: 'nontx',
        order: '001',
        author: 'e2e',
        transactional: false,
        async execute(ctx) {
          await insert('nontx')(ctx);
          await hangHere(ctx);
        },
        rollback: remove('nontx'),
      }),
    ];
  }
  return ['m1', 'm2', 'm3', 'm4', 'm5'].map((id, index) =>
    defineChangeUnit<PostgresChangeContext>({
      id,
      order: String(index + 1).padStart(3, '0'),
      author: 'e2e',
      async execute(ctx) {
        await insert(id)(ctx);
        // Widen the window in which others wait: with 20 ms a unit, a holder could finish all five
        // before the others (16 processes on 2 cores, the suite running beside them) read the
        // history, and none of them waited (seen once in CI at 07:23 UTC, 2026-12-02).
        await ctx.sql.query('SELECT pg_sleep(0.1)');
      },
      rollback: remove(id),
    }),
  );
}

const gate = process.env.PG_GATE;
if (gate !== undefined) {
  process.stdout.write('READY\n');
  while (!existsSync(gate)) await sleep(5);
}

// Only warnings are kept: they are how the runner reports an interrupted change it recovers from.
const warnings: string[] = [];
const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };

try {
  const builder = new MongockBuilder()
    .setDriver(postgresDriver({ connectionString: url, schema }))
    .addChangeUnits(...units())
    .setLogger(logger)
    .setLockConfig({ acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: Number(process.env.PG_QUIT_AFTER_MS ?? 60_000) });
  if (process.env.PG_OWNER_HOST !== undefined) builder.setServiceIdentifier(process.env.PG_OWNER_HOST);
  const policy = process.env.MONGOCK_TEST_ON_INTERRUPTED;
  if (policy !== undefined) builder.setOnInterruptedChange(policy as InterruptedChangePolicy);
  const runner = builder.buildRunner();
  runner.on('migration-started', ({ executionId }) => void process.stdout.write(`EXECUTION ${executionId}\n`));
  let waited = false;
  runner.on('lock-waiting', () => {
    waited = true;
  });
  const result = await runner.execute();
  const ids = (outcome: string) => result.items.filter((i) => i.outcome === outcome).map((i) => i.changeId);
  process.stdout.write(`RESULT ${JSON.stringify({ status: result.status, executed: ids('executed'), rolledBack: ids('recovered'), waited, warnings })}\n`);
} catch (error) {
  const { code, message } = error as { code?: string; message: string };
  process.stdout.write(`ERROR ${JSON.stringify({ code, message })}\n`);
  process.exit(2);
}
