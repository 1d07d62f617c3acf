import { describe, expect, it } from 'vitest';
import { type MongoChangeContext, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { type BatchSource, batched, createRunner, defineChangeUnit, type MongockError, silentLogger } from '../../src/index.ts';
import { freshDatabasePerTest } from '../support/mongodb-harness.ts';

const fresh = freshDatabasePerTest();

/** 0..24, in batches of 10: three batches. */
const NUMBERS = Array.from({ length: 25 }, (_, n) => n);

function backfill(estimate?: () => Promise<number | undefined>) {
  const source: BatchSource<number, MongoChangeContext> = {
    read: async (_ctx, after, size) => NUMBERS.filter((n) => after === undefined || n > (after as number)).slice(0, size),
    keyOf: (n) => n,
    ...(estimate === undefined ? {} : { estimate }),
  };
  return defineChangeUnit<MongoChangeContext>({
    id: 'backfill-marks',
    order: '001',
    author: 'dev',
    execute: batched<number, MongoChangeContext>({
      source,
      size: 10,
      async apply(batch, { db }) {
        // Counted per number: a batch applied again shows as 2.
        for (const n of batch) await db.collection<{ _id: number }>('marks').updateOne({ _id: n }, { $inc: { applied: 1 } }, { upsert: true });
      },
    }),
    rollback: async ({ db }) => void (await db.collection('marks').deleteMany({})),
  });
}

/** A plain unit, applied before the batched one: its EXECUTED entry is carried in the lock document with it. */
const plain = defineChangeUnit<MongoChangeContext>({
  id: 'plain-first',
  order: '000',
  author: 'dev',
  async execute({ db }) {
    await db.collection('plainRuns').insertOne({ ran: true });
  },
  rollback: async () => {},
});

function run(unit: ReturnType<typeof backfill>, metadata: Record<string, unknown> = {}, before: readonly (typeof plain)[] = []): Promise<unknown> {
  return createRunner({
    driver: mongoDriver({ client: fresh.client, databaseName: fresh.name }),
    changeUnits: [...before, unit],
    metadata,
    logger: silentLogger,
  })
    .execute()
    .catch((error: unknown) => error);
}

/** The DRIVER_ERROR the runner's CHANGE_FAILED carries as its cause (as for every refused entry write: run-context's recordError). */
function driverErrorOf(error: unknown): MongockError {
  expect(error).toMatchObject({ code: 'CHANGE_FAILED', changeId: 'backfill-marks', author: 'dev' });
  const cause = (error as MongockError).cause as MongockError;
  expect(cause).toMatchObject({ code: 'DRIVER_ERROR', changeId: 'backfill-marks', author: 'dev' });
  expect(cause.message).not.toMatch(/\n\s+at /);
  return cause;
}

const applied = async () =>
  (await fresh.db.collection<{ _id: number; applied: number }>('marks').find().sort({ _id: 1 }).toArray()).map((mark) => mark.applied);
const entries = async () =>
  (
    await fresh.db
      .collection('mongockChangeLog')
      .find({}, { projection: { _id: 0, changeId: 1, state: 1 } })
      .toArray()
  ).map((entry) => `${entry.changeId} ${entry.state}`);

// FerretDB refuses, for real, what these writes carry: a '.' in a field name (the config's
// metadata, in the history entry) and an infinite number (the source's estimate, in the
// checkpoint). Each test then follows the fix the message gives, and the next run finishes.
describe('MongoDB driver without transactions: a batched unit whose bookkeeping write the server refuses', () => {
  it("the EXECUTED entry, written (it was carried) before the checkpoint is marked done: DRIVER_ERROR naming the change and the fix, the server's error as cause; following the fix (which keeps the entries carried with it), the next run finishes without applying a batch or the unit before it again", async () => {
    const error = await run(backfill(), { 'app.version': '1.2' }, [plain]);
    const refused = driverErrorOf(error);
    expect(refused.message).toContain(
      "MongoDB: writing the EXECUTED entry of change 'backfill-marks' by 'dev' to the history (carried in the lock document so far) before marking its batch checkpoint done failed: invalid key: \"app.version\"",
    );
    // The fix keeps the carried entries (the plain unit's too: clearing them would apply it again) and drops their metadata.
    expect(refused.message).toContain(
      'const lock = db.getCollection("mongockLock").findOne({ carriedEntries: { $type: "string" } }); db.getCollection("mongockLock").updateOne({ _id: lock._id }, { $set: { carriedEntries: JSON.stringify(JSON.parse(lock.carriedEntries).map((entry) => ({ ...entry, metadata: null }))) } })',
    );
    expect(refused.cause).toMatchObject({ name: 'MongoBulkWriteError', code: 2 });
    expect(await entries()).toEqual([]);
    expect(await applied()).toEqual(Array(25).fill(1));

    // The command of the message, with the Node driver.
    const locks = fresh.db.collection<{ carriedEntries: string }>('mongockLock');
    const lock = await locks.findOne({ carriedEntries: { $type: 'string' } });
    await locks.updateOne(
      { _id: lock!._id },
      { $set: { carriedEntries: JSON.stringify(JSON.parse(lock!.carriedEntries).map((entry: object) => ({ ...entry, metadata: null }))) } },
    );
    // The next run writes the carried entries first: both units are recorded, nothing is left to apply.
    expect(await run(backfill(), {}, [plain])).toMatchObject({ status: 'up-to-date' });
    expect((await entries()).sort()).toEqual(['backfill-marks EXECUTED', 'plain-first EXECUTED']);
    expect(await fresh.db.collection('plainRuns').countDocuments()).toBe(1);
    expect(await applied()).toEqual(Array(25).fill(1));
  });

  it("the checkpoint itself: DRIVER_ERROR naming the change, the batch and the fix, the server's error as cause; the next run starts again after the last checkpoint saved (none: from the start)", async () => {
    const error = await run(backfill(async () => Number.POSITIVE_INFINITY));
    const refused = driverErrorOf(error);
    expect(refused.message).toContain(
      "MongoDB: saving the batch checkpoint of change 'backfill-marks' by 'dev' (running, after batch 1) failed: invalid value: { \"estimatedTotal\": +Inf }",
    );
    expect(refused.message).toContain('the next run resumes after the last checkpoint saved');
    expect(refused.cause).toMatchObject({ name: 'MongoServerError', code: 2 });
    expect(await applied()).toEqual(Array(10).fill(1));

    expect(await run(backfill())).toMatchObject({ status: 'completed' });
    expect(await entries()).toContain('backfill-marks EXECUTED');
    expect(await applied()).toEqual([...Array(10).fill(2), ...Array(15).fill(1)]);
  });
});
