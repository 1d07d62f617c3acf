// One OS process of the batched-units proofs. Usage: batch-worker.ts '<json spec>' (see
// batch-worker-spec.ts). Runs the batched unit `mark-items` over table/collection `items`: each
// batch adds 1 to the marker `n` of its items (the side-effect counter), in two writes (first
// half, second half) so that a crash can fall between them. Prints, with ms since execute():
//   BATCH <batches> <processed> <batch start ms> <batch end ms>   after each batch (its checkpoint committed)
//   CRASH <point> <batch here> <items written in that batch> <first key written|-> <last key written|->
//   then one JSON line: { status, outcome, elapsedMs, batchesHere, slices, lockAfter, warnings, failedIds, softAttempts } or { error, message, … }
//   (`slices`: how many times it took the lock; `lockAfter`: whether status() still sees a holder once it is over).

import { collectionSource, type MongoChangeContext, mongoDriver } from '../../../src/drivers/mongodb/index.ts';
import { type PostgresChangeContext, postgresDriver, tableSource as postgresTable } from '../../../src/drivers/postgres/index.ts';
import { type SqliteChangeContext, sqliteDriver, tableSource as sqliteTable } from '../../../src/drivers/sqlite/index.ts';
import type { Driver } from '../../../src/index.ts';
import { type BackgroundMigration, type BatchSource, batched, defineChangeUnit, isMongockError, type Logger, MongockBuilder } from '../../../src/index.ts';
import { type BatchWorkerSpec, type CrashPoint, UNIT_ID } from './batch-worker-spec.ts';

const spec = JSON.parse(process.argv[2]!) as BatchWorkerSpec;
const say = (line: string) => void process.stdout.write(`${line}\n`);

/**
 * FerretDB v1.24 answers an `update` command of 100 statements or more never (each statement's
 * cursor stays open until the command ends, and its SQLite pool has 100 connections).
 */
const MONGO_UPDATES_PER_COMMAND = 99;

type Key = unknown;
interface Target {
  readonly driver: Driver<object>;
  readonly source: BatchSource<unknown, never>;
  keyOf(item: unknown): Key;
  /** Adds 1 to the marker of these items, through the unit's (guarded, transactional) context. */
  mark(context: object, keys: readonly Key[]): Promise<void>;
}

function targetFor(): Target {
  switch (spec.driver) {
    case 'postgres': {
      const [connectionString, schema] = spec.target.split('|') as [string, string];
      return {
        driver: postgresDriver({ connectionString, schema }) as Driver<object>,
        source: postgresTable({ table: `${schema}.items`, key: 'id', columns: ['id'] }) as BatchSource<unknown, never>,
        keyOf: (row) => (row as { id: number }).id,
        mark: async (context, keys) => {
          await (context as PostgresChangeContext).sql.query(`UPDATE "${schema}".items SET n = n + 1 WHERE id = ANY($1::int[])`, [keys]);
        },
      };
    }
    case 'sqlite':
      return {
        driver: sqliteDriver({ filename: spec.target }) as Driver<object>,
        source: sqliteTable({ table: 'items', key: 'id', columns: ['id'] }) as BatchSource<unknown, never>,
        keyOf: (row) => (row as { id: number }).id,
        mark: async (context, keys) => {
          await (context as SqliteChangeContext).sql.run('UPDATE items SET n = n + 1 WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(keys));
        },
      };
    case 'mongodb': {
      const [uri, databaseName] = spec.target.split('|') as [string, string];
      return {
        driver: mongoDriver({ uri, databaseName, clientOptions: { serverSelectionTimeoutMS: 5_000 } }) as Driver<object>,
        source: collectionSource({ collection: 'items', projection: { _id: 1 } }) as BatchSource<unknown, never>,
        keyOf: (document) => (document as { _id: unknown })._id,
        mark: async (context, keys) => {
          const { db, session } = context as MongoChangeContext;
          for (let i = 0; i < keys.length; i += MONGO_UPDATES_PER_COMMAND) {
            const updates = keys.slice(i, i + MONGO_UPDATES_PER_COMMAND).map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { n: 1 } } } }));
            await db.collection('items').bulkWrite(updates as never, session === undefined ? {} : { session });
          }
        },
      };
    }
  }
}

const target = targetFor();
const keyText = (key: Key) =>
  typeof (key as { toHexString?: unknown })?.toHexString === 'function' ? (key as { toHexString(): string }).toHexString() : String(key);

let t0 = performance.now();
const sinceStart = () => Math.round(performance.now() - t0);
let batchesHere = 0;
let applied = 0;
let batchStartedAt = 0;

function crash(at: CrashPoint, batch: number, written: readonly Key[]): void {
  const { crash: planned } = spec;
  if (planned === undefined || planned.at !== at || planned.batch !== batch) return;
  const range = written.length === 0 ? '- -' : `${keyText(written[0])} ${keyText(written[written.length - 1])}`;
  say(`CRASH ${at} ${batch} ${written.length} ${range}`);
  process.kill(process.pid, planned.signal);
}

// The source, timed: a batch starts when the runner reads it.
const source: BatchSource<unknown, never> = {
  ...target.source,
  read: (context, after, size, until) => {
    batchStartedAt = performance.now();
    return target.source.read(context, after, size, until);
  },
};

const unit = defineChangeUnit<object>({
  id: UNIT_ID,
  order: '001',
  author: 'proof',
  ...(spec.unitMaxRunMs === undefined ? {} : { maxRunMs: spec.unitMaxRunMs }),
  execute: batched<unknown, object>({
    source: source as BatchSource<unknown, object>,
    size: spec.size,
    pauseMs: spec.pauseMs ?? 0,
    async apply(batch, context) {
      const here = ++applied;
      if (spec.failAtBatch === here) throw new Error(`batch ${here} refused`);
      const keys = batch.map((item) => target.keyOf(item));
      const half = Math.ceil(keys.length / 2);
      await target.mark(context, keys.slice(0, half));
      crash('mid-batch', here, keys.slice(0, half));
      await target.mark(context, keys.slice(half));
      crash('after-apply', here, keys);
    },
  }) as never,
  rollback: async () => {},
});

let softAttempts = 0;
const soft = defineChangeUnit<object>({
  id: 'seed-soft',
  order: '000',
  author: 'proof',
  failFast: false,
  execute: () => {
    softAttempts++;
    throw new Error('seed-soft refused');
  },
  rollback: async () => {},
});

const warnings: string[] = [];
const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };
const builder = new MongockBuilder()
  .setDriver(target.driver)
  .addChangeUnits(...(spec.softFailFirst === true ? [soft, unit] : [unit]))
  .setLogger(logger)
  .setLockConfig({ acquiredForMs: spec.lease ?? 60_000, tryFrequencyMs: 100, quitTryingAfterMs: spec.quit ?? 60_000 });
if (spec.maxRunMs !== undefined) builder.setMaxRunMs(spec.maxRunMs);
const runner = builder.buildRunner();

let slices = 0;
runner.on('lock-acquired', () => {
  slices++;
  say(`LOCKED ${sinceStart()}`);
});
runner.on('unit-started', () => say(`UNIT-STARTED ${sinceStart()}`));
const every = spec.reportEvery ?? 1;
let stopped: Promise<void> | undefined;
let background: BackgroundMigration | undefined;
runner.on('batch-progress', (progress) => {
  batchesHere++;
  if (batchesHere % every === 0 || progress.done) say(`BATCH ${progress.batches} ${progress.processed} ${Math.round(batchStartedAt - t0)} ${sinceStart()}`);
  crash('boundary', batchesHere, []);
  if (progress.done) crash('last-boundary', batchesHere, []);
  if (spec.background?.stopAtBatch === batchesHere) stopped = background!.stop();
});

/** Whether a holder is still recorded once the run is over (`stop()` and `done` promise the lock is released). */
const lockAfter = async () => (await runner.status()).lock !== null;

say('EXECUTE');
t0 = performance.now();
try {
  if (spec.background !== undefined) {
    background = runner.executeInBackground(spec.background.sliceMs === undefined ? {} : { sliceMs: spec.background.sliceMs });
  }
  const result = background === undefined ? await runner.execute() : await background.done;
  await stopped;
  const item = result.items.find((candidate) => candidate.changeId === UNIT_ID);
  say(
    JSON.stringify({
      status: result.status,
      outcome: item?.outcome ?? null,
      elapsedMs: sinceStart(),
      batchesHere,
      slices,
      lockAfter: await lockAfter(),
      warnings,
      failedIds: result.items.filter((candidate) => candidate.outcome === 'failed').map((candidate) => candidate.changeId),
      softAttempts,
    }),
  );
} catch (error) {
  const code = isMongockError(error) ? error.code : 'UNEXPECTED';
  say(JSON.stringify({ error: code, message: (error as Error).message, elapsedMs: sinceStart(), batchesHere, slices, lockAfter: await lockAfter(), warnings }));
  process.exitCode = 1;
}
