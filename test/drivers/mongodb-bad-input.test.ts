import type { Db } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MongoChangeContext, type MongoDriverOptions, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { defineChangeUnit, isMongockError, MongockBuilder, type MongockError, silentLogger } from '../../src/index.ts';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { FERRETDB_URL } from '../support/servers.ts';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
beforeEach(async () => {
  fresh = await freshDatabase();
  db = fresh.db;
});
afterEach(async () => {
  await fresh.drop();
});

const unit = defineChangeUnit<MongoChangeContext>({
  id: 'only',
  order: '001',
  author: 'dev',
  execute: async ({ db }) => void (await db.collection('effects').insertOne({ ran: true })),
  rollback: async ({ db }) => void (await db.collection('effects').deleteMany({})),
});

function run(options: MongoDriverOptions, configure: (builder: MongockBuilder) => MongockBuilder = (b) => b): Promise<unknown> {
  return configure(
    new MongockBuilder()
      .setDriver(mongoDriver(options))
      .addChangeUnits(unit)
      .setLockConfig({ acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 1_000 })
      .setLogger(silentLogger),
  )
    .buildRunner()
    .execute()
    .catch((error: unknown) => error);
}

async function nothingApplied(): Promise<void> {
  expect(await db.collection('effects').countDocuments()).toBe(0);
  expect(await db.collection('mongockChangeLog').countDocuments()).toBe(0);
}

describe('MongoDB driver: bad input gives a clear error and applies nothing', () => {
  it('an unreachable server: DRIVER_ERROR saying it could not be reached, within serverSelectionTimeoutMS', async () => {
    const started = Date.now();
    const error = await run({ uri: 'mongodb://127.0.0.1:1/', databaseName: 'app', clientOptions: { serverSelectionTimeoutMS: 500 } });
    expect(isMongockError(error, 'DRIVER_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/could not be reached: check the URI/);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('wrong credentials: DRIVER_ERROR saying the server refused them (FerretDB/SQLite refuses SCRAM outright)', async () => {
    const url = new URL(FERRETDB_URL);
    url.username = 'nobody';
    url.password = 'wrong';
    const error = await run({ uri: url.toString(), databaseName: fresh.name, clientOptions: { serverSelectionTimeoutMS: 2_000 } });
    expect(isMongockError(error, 'DRIVER_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/refused the credentials: check the user name, password, authSource/);
    expect(((error as Error).cause as { code?: number }).code).toBe(18);
    await nothingApplied();
  });

  it.each(['bad/name', 'bad name', 'bad$name', 'bad.name', '', 'x'.repeat(64)])(
    'a database name MongoDB rejects (%j): INVALID_CONFIG when the driver is built',
    (name) => {
      let error: unknown;
      try {
        mongoDriver({ uri: FERRETDB_URL, databaseName: name });
      } catch (caught) {
        error = caught;
      }
      expect(isMongockError(error, 'INVALID_CONFIG')).toBe(true);
      expect((error as Error).message).toMatch(/is not valid: .*Choose another databaseName/);
    },
  );

  it('a database name the server rejects reaches the user as a clear error too (server-side check)', async () => {
    // Bypass the driver's own check to see what the server says: FerretDB answers InvalidNamespace (73).
    const error = await fresh.client
      .db('bad$name')
      .collection('x')
      .insertOne({})
      .catch((e: unknown) => e);
    expect((error as { code?: number }).code).toBe(73);
    const { toDriverError } = await import('../../src/drivers/mongodb/mongodb-client.ts');
    expect(toDriverError(error, 'writing').message).toMatch(/MongoDB refused a database or collection name/);
  });

  it('invalid options: no source, two sources, a collection name MongoDB rejects', async () => {
    expect(() => mongoDriver({} as MongoDriverOptions)).toThrow(/exactly one of/);
    expect(() => mongoDriver({ uri: FERRETDB_URL, client: fresh.client, databaseName: 'a' })).toThrow(/exactly one of/);
    expect(() => mongoDriver({ client: fresh.client })).toThrow(/needs a databaseName/);
    expect(() => mongoDriver({ uri: 'http://localhost', databaseName: 'a' })).toThrow(/connection string/);
    const error = await run({ client: fresh.client, databaseName: fresh.name }, (builder) => builder.setLockRepositoryName('bad$lock'));
    expect(isMongockError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toMatch(/lockRepositoryName "bad\$lock" is not a valid MongoDB collection name/);
    await nothingApplied();
  });

  it('a lock document in an unexpected shape: DRIVER_ERROR naming the field and the fix; unlock --force repairs it', async () => {
    await db.collection('mongockLock').insertOne({ key: 'DEFAULT_KEY', status: 'LOCK_HELD', owner: 'someone', expiresAt: 'tomorrow' });
    const error = await run({ client: fresh.client, databaseName: fresh.name });
    expect(isMongockError(error, 'DRIVER_ERROR')).toBe(true);
    expect((error as MongockError).message).toMatch(/lock document in '.*\.mongockLock' has an unexpected shape: 'expiresAt' is a string, expected a date/);
    expect((error as MongockError).message).toMatch(/mongock unlock --force/);
    await nothingApplied();

    const runner = new MongockBuilder()
      .setDriver(mongoDriver({ client: fresh.client, databaseName: fresh.name }))
      .addChangeUnits(unit)
      .setLogger(silentLogger)
      .buildRunner();
    expect((await runner.status()).lock).toMatchObject({ owner: 'someone', expired: false, hostname: expect.stringMatching(/unexpected lock document/) });
    expect((await runner.unlock()).released).toBe(false);
    expect((await runner.unlock({ force: true })).released).toBe(true);
    expect(await run({ client: fresh.client, databaseName: fresh.name })).toMatchObject({ status: 'completed' });
    expect(await db.collection('effects').countDocuments()).toBe(1);
  });

  it('an expired lock document whose fence is not a number: DRIVER_ERROR, nothing applied', async () => {
    await db.collection('mongockLock').insertOne({ key: 'DEFAULT_KEY', status: 'LOCK_HELD', owner: 'x', expiresAt: new Date(0), fence: 'seven' });
    const error = await run({ client: fresh.client, databaseName: fresh.name });
    expect(isMongockError(error, 'DRIVER_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/unexpected shape: its 'fence' is not a number/);
    await nothingApplied();
  });

  it('two lock documents with the same key (unique index missing): DRIVER_ERROR saying to remove the duplicates', async () => {
    await db.collection('mongockLock').insertMany([
      { key: 'DEFAULT_KEY', status: 'LOCK_RELEASED', owner: null, expiresAt: new Date(0) },
      { key: 'DEFAULT_KEY', status: 'LOCK_RELEASED', owner: null, expiresAt: new Date(0) },
    ]);
    const error = await run({ client: fresh.client, databaseName: fresh.name });
    expect(isMongockError(error, 'DRIVER_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/several documents with the same key\. .*remove the duplicates/);
    await nothingApplied();
  });
});
