import { type CommandStartedEvent, type Db, MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MongoChangeContext, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { defineChangeUnit, isMongockError, MongockBuilder, MongockError, silentLogger } from '../../src/index.ts';
import { freshDatabase, JAVA_CHANGE_ENTRY_FIELDS } from '../support/mongodb-harness.ts';
import { FERRETDB_URL } from '../support/servers.ts';

const QUICK = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 10_000 };
const SETTINGS = { migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger };
const onLost = () => {};

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let client: MongoClient;
beforeEach(async () => {
  fresh = await freshDatabase();
  ({ db, client } = fresh);
});
afterEach(async () => {
  await fresh.drop();
});

const counter = (id: string, extra: Record<string, unknown> = {}) =>
  defineChangeUnit<MongoChangeContext>({
    id,
    order: id,
    author: 'dev',
    execute: async ({ db, session }) => void (await db.collection('effects').updateOne({ _id: id as never }, { $inc: { n: 1 } }, { upsert: true, session })),
    rollback: async ({ db, session }) => void (await db.collection('effects').deleteOne({ _id: id as never }, { session })),
    ...extra,
  });

const runner = (...units: ReturnType<typeof counter>[]) =>
  new MongockBuilder()
    .setDriver(mongoDriver({ client, databaseName: fresh.name }))
    .addChangeUnits(...units)
    .setLockConfig(QUICK)
    .setLogger(silentLogger);

async function effects(): Promise<Record<string, number>> {
  const docs = await db.collection<{ _id: string; n: number }>('effects').find().toArray();
  return Object.fromEntries(docs.map((doc) => [doc._id, doc.n]));
}

describe('mongoDriver on FerretDB (standalone, no transactions)', () => {
  it('reports the deployment: no transactions on a standalone server; lease lock, no transactional DDL, legacy import', async () => {
    const connection = await mongoDriver({ client, databaseName: fresh.name }).connect(SETTINGS);
    try {
      expect(connection.capabilities).toEqual({ transactions: false, lease: true, transactionalDdl: false, legacyImport: true });
      expect(await connection.readHistory()).toEqual([]);
      expect(await connection.lock.inspect()).toBeNull();
      // Reading creates nothing.
      expect(await db.listCollections().toArray()).toEqual([]);
    } finally {
      await connection.close();
    }
  });

  it('rejects transactional: true before anything runs', async () => {
    const error = await runner(counter('a'))
      .setTransactional(true)
      .buildRunner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toMatch(/cannot run transactions/);
    expect(await db.listCollections().toArray()).toEqual([]);
  });

  it("writes Java Mongock 5's history shape and indexes, and keeps the released lock document with its fence", async () => {
    const failing = defineChangeUnit<MongoChangeContext>({
      id: 'fails',
      order: 'z',
      author: 'dev',
      failFast: false,
      execute: () => {
        throw new Error('boom');
      },
      rollback: () => {},
    });
    await runner(counter('a'), failing).withMetadata({ release: '1.0' }).buildRunner().execute();
    const history = db.collection('mongockChangeLog');
    const executed = await history.findOne({ changeId: 'a' }, { projection: { _id: 0 } });
    expect(Object.keys(executed!)).toEqual([
      ...JAVA_CHANGE_ENTRY_FIELDS,
      'checksum',
      // Ours, outside a transaction: the lock fence the entry was written under (Java ignores it).
      'lockFence',
    ]);
    expect(executed).toMatchObject({ state: 'EXECUTED', type: 'EXECUTION', metadata: { release: '1.0' }, systemChange: false, errorTrace: null });
    expect(executed!.timestamp).toBeInstanceOf(Date);
    // executionMillis is a BSON int64 (Java's long), errorTrace a JSON string.
    expect(await history.countDocuments({ executionMillis: { $type: 'long' } })).toBe(2);
    const failed = await history.findOne({ changeId: 'fails' });
    expect(failed!.state).toBe('FAILED');
    expect(JSON.parse(failed!.errorTrace as string)['execution-error']).toMatch(/boom/);
    const indexes = await history.indexes();
    expect(indexes.find((index) => index.name === 'executionId_1_author_1_changeId_1')).toMatchObject({
      unique: true,
      key: { executionId: 1, author: 1, changeId: 1 },
    });
    const lockIndexes = await db.collection('mongockLock').indexes();
    expect(lockIndexes.find((index) => index.name === 'key_1')).toMatchObject({ unique: true, key: { key: 1 } });
    const lock = await db.collection('mongockLock').findOne({ key: 'DEFAULT_KEY' });
    expect(lock).toMatchObject({ status: 'LOCK_RELEASED', owner: null, fence: 1, inProgress: null });
    expect(lock!.expiresAt).toBeInstanceOf(Date);

    await runner(counter('a'), counter('b')).buildRunner().execute();
    expect((await db.collection('mongockLock').findOne({ key: 'DEFAULT_KEY' }))!.fence).toBe(2);
    expect(await db.collection('mongockLock').countDocuments()).toBe(1);
  });

  it('reads history written by Java Mongock 3/4/5 and mongobee-era documents (no state, no type, Long millis, no checksum)', async () => {
    const { Long, ObjectId } = await import('mongodb');
    // As a Java client made them when it wrote each entry: the ObjectId's seconds are the entry's
    // time (ids made now could share a second with this run's and sort by their random bytes).
    let made = 0;
    const javaId = (at: string) =>
      new ObjectId(`${(new Date(at).getTime() / 1000).toString(16).padStart(8, '0')}0a0a0a0a0a${(++made).toString(16).padStart(6, '0')}`);
    await db.collection('mongockChangeLog').insertMany([
      // Mongock 3: no state, no type.
      {
        _id: javaId('2020-01-01'),
        executionId: 'java-1',
        changeId: 'a',
        author: 'dev',
        timestamp: new Date('2020-01-01'),
        changeLogClass: 'com.acme.A',
        changeSetMethod: 'run',
        executionMillis: Long.fromNumber(12),
        metadata: null,
      },
      // Mongock 5: full shape, no checksum.
      {
        _id: javaId('2021-01-01'),
        executionId: 'java-2',
        changeId: 'b',
        author: 'dev',
        timestamp: new Date('2021-01-01'),
        state: 'EXECUTED',
        type: 'EXECUTION',
        changeLogClass: 'com.acme.B',
        changeSetMethod: 'execution',
        metadata: { from: 'java' },
        executionMillis: Long.fromNumber(7),
        executionHostname: 'jvm-host',
        errorTrace: null,
        systemChange: false,
      },
      // Java rolled c back: it runs again here.
      {
        _id: javaId('2021-01-01'),
        executionId: 'java-2',
        changeId: 'c',
        author: 'dev',
        timestamp: new Date('2021-01-01'),
        state: 'EXECUTED',
        type: 'EXECUTION',
      },
      {
        _id: javaId('2021-02-01'),
        executionId: 'java-3',
        changeId: 'c',
        author: 'dev',
        timestamp: new Date('2021-02-01'),
        state: 'ROLLED_BACK',
        type: 'EXECUTION',
      },
    ]);
    const result = await runner(counter('a'), counter('b'), counter('c')).buildRunner().execute();
    expect(result.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual(['c']);
    expect(await effects()).toEqual({ c: 1 });
    const status = await runner(counter('a'), counter('b'), counter('c')).buildRunner().status();
    expect(status.units.map((unit) => [unit.changeId, unit.state])).toEqual([
      ['a', 'executed'],
      ['b', 'executed'],
      ['c', 'executed'],
    ]);
  });

  it('hands change units a lock-guarded Db: collections, cursors, bulk operations and iteration all check the lock first', async () => {
    const connection = await mongoDriver({ client, databaseName: fresh.name }).connect(SETTINGS);
    try {
      const attempt = await connection.lock.tryAcquire({ owner: 'me', leaseMs: 10_000, hostname: 'h', onLost });
      if (!attempt.acquired) throw new Error('lock not acquired');
      let checks = 0;
      let lost = false;
      const guard = {
        ensure: async () => {
          checks++;
          if (lost) throw new MongockError('LOCK_LOST', 'lost for the test');
        },
      };
      await connection.runInScope({ transactional: false, lease: attempt.lease, guard }, async ({ context }) => {
        expect(context.session).toBeUndefined();
        expect(context.client).toBe(client);
        const users = context.db.collection('users');
        expect(checks).toBe(0); // getting a collection is not a database call
        await users.insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect(checks).toBe(1);
        expect((await users.find({}).sort({ n: -1 }).limit(2).toArray()).map((doc) => doc.n)).toEqual([3, 2]);
        expect(checks).toBe(2);
        const seen: number[] = [];
        for await (const doc of users.find({}).sort({ n: 1 })) seen.push(doc.n as number);
        expect(seen).toEqual([1, 2, 3]);
        expect(checks).toBeGreaterThanOrEqual(5);
        const bulk = users.initializeUnorderedBulkOp();
        bulk.insert({ n: 4 });
        const before = checks;
        await bulk.execute();
        expect(checks).toBe(before + 1);
        expect(context.db.databaseName).toBe(fresh.name);
        lost = true;
        await expect(users.insertOne({ n: 5 })).rejects.toMatchObject({ code: 'LOCK_LOST' });
        await expect(users.find({}).toArray()).rejects.toMatchObject({ code: 'LOCK_LOST' });
        await expect(context.db.createCollection('other')).rejects.toMatchObject({ code: 'LOCK_LOST' });
        await expect(context.db.admin().ping()).rejects.toMatchObject({ code: 'LOCK_LOST' });
      });
      expect(await db.collection('users').countDocuments()).toBe(4);
      expect(await connection.lock.release(attempt.lease)).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('rolls back a failed non-transactional unit through its rollback method and records ROLLED_BACK', async () => {
    const failing = defineChangeUnit<MongoChangeContext>({
      id: 'half',
      order: '2',
      author: 'dev',
      execute: async ({ db }) => {
        await db.collection('effects').insertOne({ _id: 'half' as never, n: 1 });
        throw new Error('second write failed');
      },
      rollback: async ({ db }) => void (await db.collection('effects').deleteOne({ _id: 'half' as never })),
    });
    const error = await runner(counter('1'), failing)
      .buildRunner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'CHANGE_FAILED')).toBe(true);
    expect(await effects()).toEqual({ '1': 1 });
    const entry = await db.collection('mongockChangeLog').findOne({ changeId: 'half' });
    expect(entry).toMatchObject({ state: 'ROLLED_BACK' });
    expect(JSON.parse(entry!.errorTrace as string)['execution-error']).toMatch(/second write failed/);
  });

  it('accepts { uri, databaseName } (owning the client) and a Mongoose connection', async () => {
    await new MongockBuilder()
      .setDriver(mongoDriver({ uri: FERRETDB_URL, databaseName: fresh.name }))
      .addChangeUnits(counter('via-uri'))
      .setLockConfig(QUICK)
      .setLogger(silentLogger)
      .buildRunner()
      .execute();
    const connection = mongoose.createConnection(FERRETDB_URL, { dbName: fresh.name });
    try {
      await connection.asPromise();
      await new MongockBuilder()
        .setDriver(mongoDriver({ connection }))
        .addChangeUnits(counter('via-mongoose'))
        .setLockConfig(QUICK)
        .setLogger(silentLogger)
        .buildRunner()
        .execute();
      // Mongock did not close the connection it was given.
      expect(connection.readyState).toBe(1);
      expect(await connection.db!.collection('effects').countDocuments()).toBe(2);
    } finally {
      await connection.close();
    }
    expect(await effects()).toEqual({ 'via-uri': 1, 'via-mongoose': 1 });
    // Nor the client it was given.
    expect(await client.db(fresh.name).command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
  it("a reader that holds no lock reads the lock document's carried entries before the history, never beside it (a holder writes them to the history, then clears them: in that order none is missed)", async () => {
    await runner(counter('a'), counter('b')).buildRunner().execute();
    const monitored = new MongoClient(FERRETDB_URL, { monitorCommands: true });
    const events: string[] = [];
    const collectionOf = (event: CommandStartedEvent) => String(event.command[event.commandName]);
    const names = new Map<number, string>();
    monitored.on('commandStarted', (event) => {
      if (event.commandName !== 'find') return;
      names.set(event.requestId, collectionOf(event));
      events.push(`started ${collectionOf(event)}`);
    });
    monitored.on('commandSucceeded', (event) => {
      if (names.has(event.requestId)) events.push(`answered ${names.get(event.requestId)}`);
    });
    const connection = await mongoDriver({ client: monitored, databaseName: fresh.name }).connect(SETTINGS);
    try {
      expect((await connection.readHistory()).map((entry) => entry.changeId)).toEqual(['a', 'b']);
      expect(events).toEqual(['started mongockLock', 'answered mongockLock', 'started mongockChangeLog', 'answered mongockChangeLog']);
    } finally {
      await connection.close();
      await monitored.close();
    }
  });
});

describe('what the MongoDB driver relies on, checked on this server', () => {
  it('FerretDB: no pipeline updates and no $expr comparisons (so no $$NOW in filters), but hello.localTime and $currentDate give server time', async () => {
    const probe = db.collection('probe');
    await probe.updateOne({ _id: 2 as never }, { $currentDate: { at: true } }, { upsert: true });
    const hello = await db.command({ hello: 1 });
    expect(hello.localTime).toBeInstanceOf(Date);
    const { at } = (await probe.findOne({ _id: 2 as never }))!;
    expect(Math.abs((at as Date).getTime() - (hello.localTime as Date).getTime())).toBeLessThan(5_000);
    await expect(probe.updateOne({ _id: 1 as never }, [{ $set: { at: '$$NOW' } }], { upsert: true })).rejects.toThrow();
    await expect(probe.find({ $expr: { $lt: ['$at', '$$NOW'] } }).toArray()).rejects.toThrow(/not implemented/);
    // $$NOW is not evaluated in aggregation either: it comes back as the literal string.
    expect((await probe.aggregate([{ $project: { now: '$$NOW' } }]).toArray())[0]!.now).toBe('$$NOW');
    expect(hello.setName).toBeUndefined();
  });

  it("uses majority read and write concern on Mongock's own collections by default, and the configured ones otherwise", async () => {
    const { MongoClient } = await import('mongodb');
    const watched = new MongoClient(FERRETDB_URL, { monitorCommands: true });
    const seen: Array<{ name: string; collection: unknown; writeConcern: unknown; readConcern: unknown }> = [];
    watched.on('commandStarted', (event) => {
      const command = event.command as Record<string, unknown>;
      seen.push({ name: event.commandName, collection: command[event.commandName], writeConcern: command.writeConcern, readConcern: command.readConcern });
    });
    try {
      const run = (options: { writeConcern?: { w: number }; readConcern?: { level: 'local' } }) =>
        new MongockBuilder()
          .setDriver(mongoDriver({ client: watched, databaseName: fresh.name, ...options }))
          .addChangeUnits(counter(`u${seen.length}`))
          .setLockConfig(QUICK)
          .setLogger(silentLogger)
          .buildRunner()
          .execute();
      await run({});
      const ours = (name: string) =>
        seen.filter((command) => command.collection === 'mongockLock' || command.collection === 'mongockChangeLog').filter((c) => c.name === name);
      expect(ours('update').length).toBeGreaterThan(0);
      for (const command of [...ours('update'), ...ours('findAndModify')]) expect(command.writeConcern).toEqual({ w: 'majority', j: true });
      for (const command of ours('find')) expect(command.readConcern).toEqual({ level: 'majority' });
      seen.length = 0;
      await run({ writeConcern: { w: 1 }, readConcern: { level: 'local' } });
      for (const command of ours('update')) expect(command.writeConcern).toEqual({ w: 1 });
      for (const command of ours('find')) expect(command.readConcern).toEqual({ level: 'local' });
    } finally {
      await watched.close();
    }
  });
});

describe('legacy history import on FerretDB', () => {
  it("imports mongobee's dbchangelog once, so its changes do not run again", async () => {
    await db.collection('dbchangelog').insertMany([
      { changeId: 'a', author: 'dev', timestamp: new Date('2018-05-01'), changeLogClass: 'com.acme.Changelog', changeSetMethod: 'first' },
      { changeId: 'b', author: 'dev', timestamp: new Date('2018-05-02'), changeLogClass: 'com.acme.Changelog', changeSetMethod: 'second' },
    ]);
    const build = () => runner(counter('a'), counter('b'), counter('c')).setLegacyMigration({ collection: 'dbchangelog' }).buildRunner();
    const first = await build().execute();
    expect(first.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual(['c']);
    expect(await effects()).toEqual({ c: 1 });
    const imported = await db
      .collection('mongockChangeLog')
      .find({ changeId: { $in: ['a', 'b'] } })
      .toArray();
    expect(imported.map((doc) => [doc.changeId, doc.author, doc.state, doc.changeLogClass])).toEqual([
      ['a', 'dev', 'EXECUTED', 'com.acme.Changelog'],
      ['b', 'dev', 'EXECUTED', 'com.acme.Changelog'],
    ]);
    // A new record in the old collection afterwards is not imported: the import ran once.
    await db.collection('dbchangelog').insertOne({ changeId: 'late', author: 'dev', timestamp: new Date() });
    const second = await build().execute();
    expect(second.status).toBe('up-to-date');
    expect(await db.collection('mongockChangeLog').countDocuments({ changeId: 'mongock-legacy-migration' })).toBe(1);
    expect(await db.collection('mongockChangeLog').countDocuments({ changeId: 'late' })).toBe(0);
  });

  it("imports migrate-mongo's changelog with a mapping (fileName → changeId, appliedAt → timestamp, default author)", async () => {
    await db.collection('changelog').insertMany([
      { fileName: '20200101-add-users.js', appliedAt: new Date('2020-01-01T10:00:00Z'), migrationBlock: 1 },
      { fileName: '20200202-add-index.js', appliedAt: new Date('2020-02-02T10:00:00Z'), migrationBlock: 2 },
    ]);
    const units = ['20200101-add-users.js', '20200202-add-index.js', '20200303-new.js'].map((id) => counter(id, { author: undefined }));
    const build = () =>
      runner(...units)
        .setLegacyMigration({ collection: 'changelog', mapping: { changeId: 'fileName', timestamp: 'appliedAt' } })
        .buildRunner();
    const result = await build().execute();
    expect(result.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual(['20200303-new.js']);
    const imported = await db.collection('mongockChangeLog').findOne({ changeId: '20200101-add-users.js' });
    expect(imported).toMatchObject({ author: 'default_author', state: 'EXECUTED', metadata: { 'migration-type': 'legacy' } });
    expect(imported!.timestamp).toEqual(new Date('2020-01-01T10:00:00Z'));
    expect((await build().execute()).status).toBe('up-to-date');
    expect(await db.collection('mongockChangeLog').countDocuments({ changeId: 'mongock-legacy-migration' })).toBe(1);
    expect(await effects()).toEqual({ '20200303-new.js': 1 });
  });
});
