// A separate OS process that migrates one MySQL/MariaDB database.
// Usage: mysql-runner.ts <uri> [hang-in=<id> | wait-in=<id> | quit-after=<ms> | unlock]
//   hang-in=<id>   that unit writes half its rows, prints MIDWAY and waits forever (the parent SIGKILLs it)
//   wait-in=<id>   that unit writes its rows, prints WAITING, then polls the database for 30 s
//                  (the parent KILLs the lock's connection meanwhile)
//   quit-after=<ms> gives up waiting for the lock after <ms>
//   unlock         runs runner.unlock({ force: true }) instead of migrating
// MONGOCK_TEST_ON_INTERRUPTED=fail|rollback sets onInterruptedChange (default: the runner's, 'rollback').
// Each data unit's rollback deletes its marker rows, so a rollback and a re-run leave them exactly once.
// Prints `EXECUTION <executionId>` when a run starts, and one JSON line at the end:
// { status, executed, rolledBack, warnings } or { error, changeId, message, warnings }.

import { type MysqlChangeContext, mysqlDriver } from '../../../src/drivers/mysql/index.ts';
import { defineChangeUnit, type InterruptedChangePolicy, isMongockError, type Logger, MongockBuilder } from '../../../src/index.ts';

const [uri, option = ''] = process.argv.slice(2);
const [mode, value] = option.split('=');
const ROWS = 20;

const insertRows = async ({ sql }: MysqlChangeContext, id: string, from = 0, to = ROWS) => {
  for (let i = from; i < to; i++) await sql.run('INSERT INTO markers (name, seq, pid) VALUES (?, ?, ?)', [id, i, process.pid]);
};

const createMarkers = defineChangeUnit<MysqlChangeContext>({
  id: 'create-markers',
  order: '000',
  author: 'e2e',
  // DDL commits implicitly on MySQL/MariaDB: this unit cannot be transactional.
  transactional: false,
  // No IF NOT EXISTS: a second execution would fail.
  execute: async ({ sql }) => void (await sql.run('CREATE TABLE markers (name VARCHAR(64) NOT NULL, seq INT NOT NULL, pid INT NOT NULL) ENGINE=InnoDB')),
  rollback: async ({ sql }) => void (await sql.run('DROP TABLE IF EXISTS markers')),
});

const dataUnit = (id: string, order: string, transactional: boolean) =>
  defineChangeUnit<MysqlChangeContext>({
    id,
    order,
    author: 'e2e',
    transactional,
    async execute(context) {
      if (!transactional) await context.sql.run('CREATE TABLE IF NOT EXISTS widgets (id INT PRIMARY KEY) ENGINE=InnoDB');
      if (mode === 'hang-in' && value === id) {
        await insertRows(context, id, 0, ROWS / 2);
        process.stdout.write('MIDWAY\n');
        await new Promise(() => {}); // never resolves: the parent sends SIGKILL
      }
      await insertRows(context, id);
      if (mode === 'wait-in' && value === id) {
        process.stdout.write('WAITING\n');
        for (let i = 0; i < 300; i++) {
          await context.sql.query('SELECT 1');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async rollback({ sql }) {
      await sql.run('DELETE FROM markers WHERE name = ?', [id]);
      if (!transactional) await sql.run('DROP TABLE IF EXISTS widgets');
    },
  });

// Only warnings are kept: they are how the runner reports an interrupted change it recovers from.
const warnings: string[] = [];
const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };

const builder = new MongockBuilder()
  .setDriver(mysqlDriver({ uri: uri! }))
  .addChangeUnits(createMarkers, dataUnit('u1', '001', true), dataUnit('u2', '002', true), dataUnit('u3', '003', false), dataUnit('u4', '004', true))
  .setLogger(logger)
  .setLockConfig({ acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: mode === 'quit-after' ? Number(value) : 120_000 });
const policy = process.env.MONGOCK_TEST_ON_INTERRUPTED;
if (policy !== undefined) builder.setOnInterruptedChange(policy as InterruptedChangePolicy);
const runner = builder.buildRunner();
runner.on('migration-started', ({ executionId }) => void process.stdout.write(`EXECUTION ${executionId}\n`));

try {
  if (mode === 'unlock') {
    const unlocked = await runner.unlock({ force: true });
    process.stdout.write(`${JSON.stringify({ status: 'unlocked', released: unlocked.released, holder: unlocked.holder })}\n`);
  } else {
    const result = await runner.execute();
    const ids = (outcome: string) => result.items.filter((item) => item.outcome === outcome).map((item) => item.changeId);
    process.stdout.write(`${JSON.stringify({ status: result.status, executed: ids('executed'), rolledBack: ids('recovered'), warnings })}\n`);
  }
} catch (error) {
  const code = isMongockError(error) ? error.code : 'UNEXPECTED';
  const changeId = isMongockError(error) ? (error.changeId ?? null) : null;
  process.stdout.write(`${JSON.stringify({ error: code, changeId, message: (error as Error).message, warnings })}\n`);
  process.exit(1);
}
