import type { ClientSession, Db, MongoClient } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MongoChangeContext, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { foreignEntry, TESTKIT_SETTINGS } from '../../src/drivers/testkit/testkit-suite.ts';
import { defineChangeUnit, isMongockError, MongockBuilder, silentLogger } from '../../src/index.ts';
import { freshDatabase } from '../support/mongodb-harness.ts';

// Transactions need a real MongoDB replica set (or sharded cluster); FerretDB has none.
const REPLICA_SET = process.env.MONGODB_URI;
if (REPLICA_SET === undefined) {
  console.warn('MONGODB_URI is not set: the MongoDB transaction tests (replica set) are skipped, not passed.');
}

const QUICK = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 10_000 };

describe.skipIf(REPLICA_SET === undefined)('MongoDB transactions on a real replica set (MONGODB_URI)', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Db;
  let client: MongoClient;
  beforeEach(async () => {
    fresh = await freshDatabase(REPLICA_SET);
    ({ db, client } = fresh);
  });
  afterEach(async () => {
    await fresh.drop();
  });

  const driver = () => mongoDriver({ client, databaseName: fresh.name });
  const runner = (...units: ReturnType<typeof defineChangeUnit<MongoChangeContext>>[]) =>
    new MongockBuilder()
      .setDriver(driver())
      .addChangeUnits(...units)
      .setLockConfig(QUICK)
      .setLogger(silentLogger);
  const marker = (id: string, extra: Record<string, unknown> = {}) =>
    defineChangeUnit<MongoChangeContext>({
      id,
      order: id,
      author: 'dev',
      execute: async ({ db, session }) => void (await db.collection('markers').insertOne({ name: id }, { session })),
      rollback: async ({ db, session }) => void (await db.collection('markers').deleteMany({ name: id }, { session })),
      ...extra,
    });
  const markers = (name: string) => db.collection('markers').countDocuments({ name });

  it('detects the replica set: transactions are available', async () => {
    const connection = await driver().connect(TESTKIT_SETTINGS);
    try {
      expect(connection.capabilities.transactions).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it("hands each transactional unit its transaction's session, and none to a non-transactional unit", async () => {
    const sessions: Array<ClientSession | undefined> = [];
    const spy = (id: string, transactional: boolean) =>
      marker(id, {
        transactional,
        execute: async ({ db, session }: MongoChangeContext) => {
          sessions.push(session);
          expect(session?.inTransaction() ?? false).toBe(transactional);
          await db.collection('markers').insertOne({ name: id }, { session });
        },
      });
    await runner(spy('a', true), spy('b', false)).buildRunner().execute();
    expect(sessions[0]).toBeDefined();
    expect(sessions[1]).toBeUndefined();
  });

  it('a failing transactional unit leaves no effect and a FAILED entry; the unit and its entry commit together otherwise', async () => {
    const failing = marker('b', {
      execute: async ({ db, session }: MongoChangeContext) => {
        await db.collection('markers').insertOne({ name: 'b' }, { session });
        throw new Error('boom');
      },
    });
    const error = await runner(marker('a'), failing)
      .buildRunner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'CHANGE_FAILED')).toBe(true);
    expect(await markers('a')).toBe(1);
    expect(await markers('b')).toBe(0);
    expect(await db.collection('mongockChangeLog').findOne({ changeId: 'b' })).toMatchObject({ state: 'FAILED' });
  });

  it('a holder whose lease was taken over cannot commit: the fenced update in its transaction refuses, nothing is written', async () => {
    const a = await driver().connect(TESTKIT_SETTINGS);
    const b = await driver().connect(TESTKIT_SETTINGS);
    try {
      const first = await a.lock.tryAcquire({ owner: 'owner-a', leaseMs: 3_000, hostname: 'a', onLost: () => {} });
      if (!first.acquired) throw new Error('not acquired');
      await a.prepareHistory();
      await db.createCollection('markers');
      await new Promise((resolve) => setTimeout(resolve, 3_300));
      const second = await b.lock.tryAcquire({ owner: 'owner-b', leaseMs: 10_000, hostname: 'b', onLost: () => {} });
      expect(second.acquired).toBe(true);
      const error = await a
        .runInScope({ transactional: true, lease: first.lease, guard: { ensure: async () => {} } }, async ({ context, saveEntry }) => {
          await context.db.collection('markers').insertOne({ name: 'late' }, { session: context.session });
          await saveEntry(foreignEntry('late', 'dev', 'x', 'a'));
        })
        .catch((e: unknown) => e);
      expect(isMongockError(error, 'LOCK_LOST')).toBe(true);
      expect(await markers('late')).toBe(0);
      expect(await db.collection('mongockChangeLog').countDocuments()).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a transactional unit that outlives the lease renews through its transaction and commits (no self-deadlock)', async () => {
    const slow = marker('slow', {
      execute: async ({ db, session }: MongoChangeContext) => {
        for (let i = 0; i < 8; i++) {
          await db.collection('markers').insertOne({ name: 'slow', i }, { session });
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      },
    });
    const result = await runner(slow, marker('after')).buildRunner().execute();
    expect(result.executed).toBe(2);
    expect(await markers('slow')).toBe(8);
  }, 60_000);

  it("transactionStrategy 'execution': every unit and entry in one transaction, all or nothing", async () => {
    const failing = marker('c', {
      execute: () => {
        throw new Error('boom');
      },
    });
    const error = await runner(marker('a'), marker('b'), failing)
      .setTransactionStrategy('execution')
      .buildRunner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'CHANGE_FAILED')).toBe(true);
    expect(await markers('a')).toBe(0);
    expect(await markers('b')).toBe(0);
    expect(await db.collection('mongockChangeLog').countDocuments({ state: 'EXECUTED' })).toBe(0);
  });
});
