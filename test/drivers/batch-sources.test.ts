import type { Db, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionSource, type MongoChangeContext, mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { type MysqlChangeContext, mysqlDriver, tableSource } from '../../src/drivers/mysql/index.ts';
import {
  type BatchProgress,
  batched,
  type ChangeUnitDefinition,
  type Driver,
  defineChangeUnit,
  MongockBuilder,
  type MongockRunner,
  silentLogger,
} from '../../src/index.ts';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { createTestDatabase, type MysqlTestDatabase } from '../support/mysql-harness.ts';

// collectionSource on the MongoDB wire (FerretDB) and tableSource on MariaDB: key order, the
// filter / WHERE, the estimate, one batch per run (a 1 ms budget lets exactly one batch run per
// start), resume after the checkpoint, and what status() and diagnose() say in between.

/** Runs `unit` one batch per start until it completes; checks status() and diagnose() after every start. */
async function oneBatchPerRun<T extends object>(driver: () => Driver<T>, unit: ChangeUnitDefinition<T>, expected: { size: number; total: number }) {
  const runner = (maxRunMs?: number): MongockRunner => {
    const builder = new MongockBuilder()
      .setDriver(driver())
      .addChangeUnits(unit as never)
      .setLogger(silentLogger)
      .setLockQuickConfig();
    return (maxRunMs === undefined ? builder : builder.setMaxRunMs(maxRunMs)).buildRunner();
  };
  const progress: BatchProgress[] = [];
  const lastKeys: string[] = [];
  const runs = Math.floor(expected.total / expected.size) + 1;
  for (let run = 1; run <= runs; run++) {
    const migrating = runner(1);
    migrating.on('batch-progress', (p) => progress.push(p));
    const result = await migrating.execute();
    const status = (await runner().status()).units[0]!;
    const findings = (await runner().diagnose()).findings.filter((finding) => finding.check === 'unfinished-batches');
    const processed = Math.min(run * expected.size, expected.total);
    if (run < runs) {
      expect(result.status, `run ${run}`).toBe('in-progress');
      expect(status.state).toBe('pending');
      expect(status.batch).toMatchObject({ direction: 'execute', inProgress: true, batches: run, processed, estimatedTotal: expected.total });
      expect(status.batch!.executionId).toBe(result.executionId);
      lastKeys.push(status.batch!.lastKey!);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'warning', changeId: unit.id });
      expect(findings[0]!.message).toContain(`(${processed} / ${expected.total})`);
      expect(findings[0]!.message).toContain(`last key ${status.batch!.lastKey}`);
    } else {
      expect(result.status, `run ${run}`).toBe('completed');
      expect(status.state).toBe('executed');
      expect(status.batch).toMatchObject({ inProgress: false, processed: expected.total, estimatedTotal: expected.total });
      expect(findings).toEqual([]);
    }
  }
  // Each start did one batch, after the one before it; the estimate is the filter's count.
  expect(progress.map((p) => p.processed)).toEqual(Array.from({ length: runs }, (_, i) => Math.min((i + 1) * expected.size, expected.total)));
  expect(new Set(lastKeys).size).toBe(lastKeys.length);
  return lastKeys;
}

describe('collectionSource on the MongoDB wire (FerretDB, no transactions)', () => {
  let mongo: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    mongo = await freshDatabase();
  });
  afterAll(async () => mongo?.drop());

  it('visits the documents matching the filter in _id order (ObjectIds kept as EJSON), once each, one batch per run, with status and doctor showing the progress', async () => {
    const db: Db = mongo.db;
    // 30 documents, every third a 'b': 20 match; inserted in shuffled order so _id order is not insertion order.
    const docs = Array.from({ length: 30 }, (_, i) => ({ n: i, kind: i % 3 === 2 ? 'b' : 'a', touched: 0 }));
    await db.collection('items').insertMany(docs.map((doc, i) => docs[(i * 7) % 30]!).map((doc) => ({ ...doc })));
    const seen: string[] = [];
    const unit = defineChangeUnit<MongoChangeContext>({
      id: 'touch-a',
      order: '001',
      author: 'data',
      execute: batched<{ _id: ObjectId; n: number }, MongoChangeContext>({
        source: collectionSource({ collection: 'items', filter: { kind: 'a' }, projection: { n: 1 } }),
        size: 6,
        async apply(batch, { db: target, session }) {
          seen.push(...batch.map((doc) => doc._id.toHexString()));
          // Under 100 statements per command: FerretDB never answers a larger update command.
          await target.collection('items').updateMany({ _id: { $in: batch.map((doc) => doc._id) } }, { $inc: { touched: 1 } }, { session });
        },
      }),
      rollback: async () => undefined,
    });
    const lastKeys = await oneBatchPerRun(() => mongoDriver({ client: mongo.client, databaseName: mongo.name }), unit, { size: 6, total: 20 });
    expect(
      lastKeys.every((key) => /^\{"k":\{"\$oid":"[0-9a-f]{24}"\}\}$/.test(key)),
      lastKeys.join(),
    ).toBe(true);
    const after = await db
      .collection('items')
      .find({}, { projection: { _id: 0, n: 1, kind: 1, touched: 1 } })
      .toArray();
    expect(after).toHaveLength(30);
    expect(after.filter((doc) => doc.kind === 'a').every((doc) => doc.touched === 1)).toBe(true);
    expect(after.filter((doc) => doc.kind === 'b').every((doc) => doc.touched === 0)).toBe(true);
    const [checkpoint] = await db.collection('mongockChangeLog_checkpoints').find().toArray();
    expect(checkpoint).toMatchObject({ changeId: 'touch-a', state: 'done', processed: 20, batches: 4 });
  });
});

describe('tableSource on MariaDB (transactions)', () => {
  let database: MysqlTestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('mongock_bs');
  });
  afterAll(async () => database?.drop());

  it('visits the rows matching WHERE in key order, once each, one batch per run, each batch committed with its checkpoint; status and doctor show the progress', async () => {
    await database.admin.query(`CREATE TABLE ${database.table('Line Items')} (\`item id\` INT PRIMARY KEY, qty INT NULL, touched INT NOT NULL DEFAULT 0)`);
    const rows = Array.from({ length: 25 }, (_, i) => [(i + 1) * 4, i % 5 === 4 ? null : i]);
    await database.admin.query(`INSERT INTO ${database.table('Line Items')} (\`item id\`, qty) VALUES ?`, [rows]);
    const unit = defineChangeUnit<MysqlChangeContext>({
      id: 'touch-qty',
      order: '001',
      author: 'data',
      execute: batched<{ 'item id': number }, MysqlChangeContext>({
        source: tableSource({ table: 'Line Items', key: 'item id', where: 'qty IS NOT NULL', columns: ['item id'] }),
        size: 6,
        async apply(batch, { sql }) {
          await sql.query('UPDATE `Line Items` SET touched = touched + 1 WHERE `item id` IN (?)', [batch.map((row) => row['item id'])]);
        },
      }),
      rollback: async () => undefined,
    });
    const lastKeys = await oneBatchPerRun(() => mysqlDriver({ uri: database.uri }), unit, { size: 6, total: 20 });
    // Keys in order: the 6th, 12th and 18th matching rows (every 5th row has no qty).
    expect(lastKeys).toEqual(['28', '56', '88']);
    const touched = await database.rows<{ qty: number | null; touched: number }>(`SELECT qty, touched FROM ${database.table('Line Items')}`);
    expect(touched.filter((row) => row.qty !== null).every((row) => row.touched === 1)).toBe(true);
    expect(touched.filter((row) => row.qty === null).every((row) => row.touched === 0)).toBe(true);
    const [checkpoint] = await database.rows<Record<string, unknown>>(`SELECT * FROM ${database.table('mongock_change_log_checkpoints')}`);
    expect(checkpoint).toMatchObject({ change_id: 'touch-qty', state: 'done', processed: 20, batches: 4, last_key: '96' });
  });
});
