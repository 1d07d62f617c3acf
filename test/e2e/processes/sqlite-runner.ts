// A separate OS process that migrates one SQLite file. Usage: sqlite-runner.ts <file> [hang-in=<id>] [lease=<ms>]
// Each unit inserts marker rows; `hang-in=<id>` makes that unit write half its rows, print
// MIDWAY and wait forever (the parent then kills it); `lease` is acquiredForMs (default 3000).

import { type SqliteChangeContext, sqliteDriver } from '../../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../../src/index.ts';

const [filename, ...rest] = process.argv.slice(2);
const options = Object.fromEntries(rest.map((arg) => arg.split('=') as [string, string]));
const hangIn = options['hang-in'];
const ROWS = 50;

const units = ['u1', 'u2', 'u3', 'u4', 'u5'].map((id, index) =>
  defineChangeUnit<SqliteChangeContext>({
    id,
    order: String(index + 1).padStart(3, '0'),
    author: 'e2e',
    async execute({ sql }) {
      await sql.exec('CREATE TABLE IF NOT EXISTS markers (name TEXT NOT NULL, pid INTEGER NOT NULL)');
      for (let i = 0; i < ROWS; i++) {
        await sql.run('INSERT INTO markers (name, pid) VALUES (?, ?)', id, process.pid);
        if (id === hangIn && i === ROWS / 2) {
          process.stdout.write('MIDWAY\n');
          await new Promise(() => {}); // never resolves: the parent sends SIGKILL
        }
      }
    },
    async rollback({ sql }) {
      await sql.run('DELETE FROM markers WHERE name = ?', id);
    },
  }),
);

try {
  const result = await new MongockBuilder()
    .setDriver(sqliteDriver({ filename: filename! }))
    .addChangeUnits(...units)
    .setLogger(silentLogger)
    .setLockConfig({ acquiredForMs: Number(options.lease ?? 3_000), tryFrequencyMs: 100, quitTryingAfterMs: 60_000 })
    .buildRunner()
    .execute();
  process.stdout.write(`${JSON.stringify({ status: result.status, executed: result.items.filter((i) => i.outcome === 'executed').map((i) => i.changeId) })}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
