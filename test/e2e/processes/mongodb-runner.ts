// A separate OS process that migrates one MongoDB database (FerretDB in the suite).
// Usage: mongodb-runner.ts <uri> <databaseName> [name=value...]
//   name=<id>          serviceIdentifier (recorded in executionHostname)
//   lease=<ms>         lockConfig.acquiredForMs (default 3000); quit=<ms> quitTryingAfterMs (default 60000);
//                      try=<ms> tryFrequencyMs (default 100)
//   hang-in=<id>       that unit writes half its documents, prints MIDWAY and waits forever (SIGKILL test)
//   slow-in=<id>       that unit writes half its documents, prints SLOW and stops itself (SIGSTOP); once
//                      the parent sends SIGCONT it writes one more every 200 ms through the guarded db
//   pause-after=<id>   when that unit has finished, prints PAUSED and stops itself (SIGSTOP) until the
//                      parent sends SIGCONT: the holder stops between two units
//   die-after=<id>     when that unit has finished, kills itself (SIGKILL): its entry is carried by the next lock write, not sent yet
//   die-on=<cmd>:<coll> kills itself (SIGKILL) as soon as the first `<cmd>` on collection `<coll>` has succeeded
//                      (command monitoring), e.g. die-on=insert:mongockChangeLog (carried entries written, lock not released)
//   unlock             runs runner.unlock({ force: true }) (what `mongock unlock --force` does) instead
// MONGOCK_TEST_ON_INTERRUPTED=fail|rollback sets onInterruptedChange (default: the runner's, 'rollback').
// Each unit inserts ROWS documents { unit, i, pid } into `effects`: the side-effect counter; its rollback
// deletes that unit's documents, so a rollback and a re-run leave them exactly once.
// Prints `EXECUTION <executionId>` when the run starts, and one JSON line at the end:
// { status, executed, rolledBack, waits, acquiredAt, startedAt, warnings, clock } or { error, changeId, message, warnings, clock }.

import { type CommandSucceededEvent, MongoClient } from 'mongodb';
import { type MongoChangeContext, mongoDriver } from '../../../src/drivers/mongodb/index.ts';
import { defineChangeUnit, type InterruptedChangePolicy, isMongockError, type Logger, MongockBuilder } from '../../../src/index.ts';

const [uri, databaseName, ...rest] = process.argv.slice(2);
const options = Object.fromEntries(rest.map((arg) => arg.split('=') as [string, string]));
const ROWS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const units = ['u1', 'u2', 'u3', 'u4', 'u5'].map((id, index) =>
  defineChangeUnit<MongoChangeContext>({
    id,
    order: String(index + 1).padStart(3, '0'),
    author: 'e2e',
    async execute({ db }) {
      const effects = db.collection('effects');
      for (let i = 0; i < ROWS; i++) {
        await effects.insertOne({ unit: id, i, pid: process.pid });
        if (i === ROWS / 2 && id === options['hang-in']) {
          process.stdout.write('MIDWAY\n');
          await new Promise(() => {}); // never resolves: the parent sends SIGKILL
        }
        if (i >= ROWS / 2 && id === options['slow-in']) {
          if (i === ROWS / 2) {
            process.stdout.write('SLOW\n');
            process.kill(process.pid, 'SIGSTOP'); // mid-unit, whatever the parent's own speed
          }
          await sleep(200);
        }
      }
    },
    async rollback({ db }) {
      await db.collection('effects').deleteMany({ unit: id });
    },
  }),
);

// Only warnings are kept: they are how the runner reports an interrupted change it recovers from.
const warnings: string[] = [];
const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };

/** A client of our own only to watch commands (die-on); otherwise Mongock opens and closes its own. */
function dyingClient(dieOn: string): MongoClient {
  const [command, collection] = dieOn.split(':');
  const client = new MongoClient(uri!, { serverSelectionTimeoutMS: 5_000, monitorCommands: true });
  const started = new Map<number, string>();
  client.on('commandStarted', (event) => void started.set(event.requestId, String(event.command[event.commandName])));
  client.on('commandSucceeded', (event: CommandSucceededEvent) => {
    if (event.commandName === command && started.get(event.requestId) === collection) process.kill(process.pid, 'SIGKILL');
  });
  return client;
}
const dieOn = options['die-on'];
const driver =
  dieOn === undefined
    ? mongoDriver({ uri: uri!, databaseName: databaseName!, clientOptions: { serverSelectionTimeoutMS: 5_000 } })
    : mongoDriver({ client: dyingClient(dieOn), databaseName: databaseName! });

const builder = new MongockBuilder()
  .setDriver(driver)
  .addChangeUnits(...units)
  .setLogger(logger)
  .setServiceIdentifier(options.name ?? String(process.pid))
  .setLockConfig({
    acquiredForMs: Number(options.lease ?? 3_000),
    tryFrequencyMs: Number(options.try ?? 100),
    quitTryingAfterMs: Number(options.quit ?? 60_000),
  });
const policy = process.env.MONGOCK_TEST_ON_INTERRUPTED;
if (policy !== undefined) builder.setOnInterruptedChange(policy as InterruptedChangePolicy);
const runner = builder.buildRunner();
runner.on('migration-started', ({ executionId }) => void process.stdout.write(`EXECUTION ${executionId}\n`));
let acquiredAt: number | undefined;
let startedAt: number | undefined;
/** Lock attempts that found the lock held (each one followed by a wait of tryFrequencyMs). */
let waits = 0;
runner.on('lock-waiting', () => {
  waits++;
});
runner.on('lock-acquired', () => {
  acquiredAt = Date.now();
});

if (options['pause-after'] !== undefined) {
  runner.on('unit-finished', ({ item }) => {
    if (item.changeId !== options['pause-after']) return;
    process.stdout.write('PAUSED\n');
    // Stopped here, by itself: waiting 1.5 s for the parent's SIGSTOP was a race that a parent
    // slowed by load can lose (the run then moves on to the next unit before it is stopped).
    process.kill(process.pid, 'SIGSTOP');
  });
}

if (options['die-after'] !== undefined) {
  runner.on('unit-finished', ({ item }) => {
    if (item.changeId === options['die-after']) process.kill(process.pid, 'SIGKILL');
  });
}

try {
  if ('unlock' in options) {
    const unlocked = await runner.unlock({ force: true });
    process.stdout.write(`${JSON.stringify({ status: 'unlocked', released: unlocked.released, holder: unlocked.holder, clock: Date.now() })}\n`);
  } else {
    startedAt = Date.now();
    const result = await runner.execute();
    const ids = (outcome: string) => result.items.filter((item) => item.outcome === outcome).map((item) => item.changeId);
    const summary = {
      status: result.status,
      executed: ids('executed'),
      rolledBack: ids('recovered'),
      waits,
      acquiredAt,
      startedAt,
      warnings,
      clock: Date.now(),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
} catch (error) {
  const code = isMongockError(error) ? error.code : 'UNEXPECTED';
  const changeId = isMongockError(error) ? error.changeId : undefined;
  process.stdout.write(`${JSON.stringify({ error: code, changeId, message: (error as Error).message, warnings, clock: Date.now() })}\n`);
  process.exitCode = 1;
}
