import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { isMongockError } from '../../src/errors/mongock-error.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { MongockBuilder } from '../../src/runner/mongock-builder.ts';
import { docFiles } from '../support/doc-files.ts';
import { freshDatabase, MONGO_TEST_URL } from '../support/mongodb-harness.ts';

let dir: string;
let mongo: Awaited<ReturnType<typeof freshDatabase>>;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mongock-declarative-'));
  mongo = await freshDatabase(MONGO_TEST_URL);
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await mongo.drop();
});

const write = (name: string, value: unknown) => writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
const runner = () =>
  new MongockBuilder()
    .setDriver(mongoDriver({ uri: MONGO_TEST_URL, databaseName: mongo.name }))
    .addMigrationScanPath(dir)
    .setLogger(silentLogger)
    .setConfig({ driver: mongoDriver({ uri: MONGO_TEST_URL, databaseName: mongo.name }), onChecksumMismatch: 'fail' })
    .buildRunner();
const users = () =>
  mongo.db
    .collection('users')
    .find({}, { projection: { _id: 0 } })
    .sort({ email: 1 })
    .toArray();

const USERS = {
  author: 'ana',
  changes: [
    { createCollection: 'users' },
    { createIndexes: 'users', indexes: [{ key: { email: 1 }, name: 'email_1', unique: true }] },
    {
      insert: 'users',
      documents: [
        { email: 'ada@example.com', plan: 'free', joined: { $date: '2024-01-01T00:00:00Z' } },
        { email: 'bo@example.com', plan: 'free' },
      ],
    },
    { update: 'users', filter: { email: 'ada@example.com' }, apply: { $set: { plan: 'pro' } } },
  ],
  rollback: [{ dropCollection: 'users' }],
};

describe('declarative MongoDB units (.json, .yaml) on the MongoDB-wire test server', () => {
  it('runs createCollection, createIndexes, insert, update and delete from JSON and YAML, once; undo runs the rollback list', async () => {
    write('001_users.json', USERS);
    write(
      '002_cleanup.yaml',
      `# a YAML unit; comments do not count
changes:
  - insert: users
    documents:
      - { email: cy@example.com, plan: trial }
  - update: users
    filter: { plan: free }
    apply: { $set: { plan: basic } }
    multi: true
  - delete: users
    filter: { plan: trial }
rollback:
  - update: users
    filter: { plan: basic }
    apply: { $set: { plan: free } }
    multi: true
`,
    );
    const result = await runner().execute();
    expect(result.items.map((item) => [item.changeId, item.outcome])).toEqual([
      ['001_users', 'executed'],
      ['002_cleanup', 'executed'],
    ]);
    expect(await users()).toEqual([
      { email: 'ada@example.com', plan: 'pro', joined: new Date('2024-01-01T00:00:00Z') },
      { email: 'bo@example.com', plan: 'basic' },
    ]);
    const indexes = await mongo.db.collection('users').indexes();
    expect(indexes.find((index) => index.name === 'email_1')).toMatchObject({ unique: true, key: { email: 1 } });
    const author = await mongo.db.collection('mongockChangeLog').findOne({ changeId: '001_users' });
    expect(author?.author).toBe('ana');
    expect((await runner().execute()).executed).toBe(0);
    await runner().undo({ last: 1 });
    expect((await users()).map((user) => user.plan)).toEqual(['pro', 'free']);
  });

  it('keeps the checksum when the file is only reformatted; a changed value is a change', async () => {
    write('001_users.json', USERS);
    await runner().execute();
    writeFileSync(join(dir, '001_users.json'), JSON.stringify(USERS));
    expect((await runner().execute()).status).toBe('up-to-date');
    write('001_users.json', {
      ...USERS,
      changes: [...USERS.changes.slice(0, 3), { update: 'users', filter: { email: 'ada@example.com' }, apply: { $set: { plan: 'gold' } } }],
    });
    const error = await runner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'CHECKSUM_MISMATCH')).toBe(true);
  });

  it.each([
    [
      'an unknown command',
      {
        changes: [
          { insert: 'users', documents: [{ a: 1 }] },
          { renameCollection: 'users', to: 'people' },
        ],
      },
      /changes\[1\] names no known command \(unknown: 'renameCollection', 'to'\)/,
    ],
    [
      'a wrong field',
      { changes: [{ insert: 'users', docs: [{ a: 1 }] }] },
      /changes\[0\]: 'insert' takes no field 'docs'; it takes documents\. .*changes\[0\]: 'insert' needs 'documents'/,
    ],
    [
      'a field of the wrong kind',
      { changes: [{ update: 'users', filter: 'all', apply: { $set: { a: 1 } } }] },
      /'filter' of 'update' must be an object; got string/,
    ],
    ['no changes', { rollback: [] }, /it has no 'changes' list/],
    ['an unknown top-level key', { changes: [{ dropCollection: 'x' }], runalways: true }, /unknown key 'runalways'/],
    ['malformed JSON', '{ "changes": [ { "insert": "users", } ] }', /is not valid JSON/],
  ])('rejects %s before anything runs', async (_what, bad, problem) => {
    write('001_users.json', USERS);
    write('002_bad.json', bad);
    const error = await runner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'INVALID_CHANGE_UNIT')).toBe(true);
    expect((error as Error).message).toMatch(problem);
    expect((error as { file?: string }).file).toBe(join(dir, '002_bad.json'));
    expect((error as { changeId?: string }).changeId).toBe('002_bad');
    expect((error as Error).message).not.toMatch(/\n\s+at /);
    expect(await mongo.db.listCollections({ name: 'users' }).toArray()).toEqual([]);
  });

  it('rejects malformed YAML before anything runs', async () => {
    write('001_users.json', USERS);
    write('002_bad.yaml', 'changes:\n  - insert: users\n   documents: [}\n');
    const error = await runner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'INVALID_CHANGE_UNIT')).toBe(true);
    expect((error as Error).message).toMatch(/Declarative change unit '002_bad' \(.*002_bad\.yaml\) is not valid YAML/);
    expect(await mongo.db.listCollections({ name: 'users' }).toArray()).toEqual([]);
  });
});

describe('docs/declarative-units.md examples', () => {
  it('run on the MongoDB-wire test server as the page says', async () => {
    const files = docFiles('declarative-units.md');
    expect(files.map((file) => file.name)).toEqual(['003_add_users.json', '004_upgrade_plans.yaml']);
    for (const file of files) writeFileSync(join(dir, file.name), file.text);
    const result = await runner().execute();
    expect(result.items.map((item) => [item.changeId, item.outcome])).toEqual([
      ['003_add_users', 'executed'],
      ['004_upgrade_plans', 'executed'],
    ]);
    expect(await users()).toEqual([{ email: 'ada@example.com', plan: 'basic', joined: new Date('2024-01-01T00:00:00Z') }]);
    await runner().undo({ last: 2 });
    expect(await mongo.db.listCollections({ name: 'users' }).toArray()).toEqual([]);
  });
});

// Inside a transaction: needs a real MongoDB replica set (FerretDB has no transactions).
const REPLICA_SET = process.env.MONGODB_URI;
if (REPLICA_SET === undefined) console.warn('MONGODB_URI is not set: declarative units inside a transaction (replica set) are skipped, not passed.');

describe.skipIf(REPLICA_SET === undefined)('declarative MongoDB units inside a transaction (MONGODB_URI replica set)', () => {
  const ROWS = (third: string) => ({
    author: 'ana',
    transactional: true,
    changes: [
      { insert: 'users', documents: [{ email: 'ada@example.com' }, { email: 'bo@example.com' }] },
      { update: 'users', filter: { email: 'ada@example.com' }, apply: { $set: { plan: 'pro' } } },
      { insert: 'users', documents: [{ email: third }] },
    ],
  });
  beforeEach(async () => {
    await mongo.db.createCollection('users');
    await mongo.db.collection('users').createIndex({ email: 1 }, { unique: true, name: 'email_1' });
  });

  it('a failing command rolls back the commands before it (nothing of the unit stays); the fixed unit commits with its entry', async () => {
    // The third insert repeats a unique email: the server refuses it inside the unit's transaction.
    write('001_rows.json', ROWS('ada@example.com'));
    const error = await runner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'CHANGE_FAILED'), String(error)).toBe(true);
    // Without the transaction, the first insert and the update would be there.
    expect(await users()).toEqual([]);
    const failed = await mongo.db.collection('mongockChangeLog').find({ changeId: '001_rows' }).toArray();
    expect(failed.map((entry) => entry.state)).toEqual(['FAILED']);

    write('001_rows.json', ROWS('cy@example.com'));
    const result = await runner().execute();
    expect(result.items.map((item) => [item.changeId, item.outcome])).toEqual([['001_rows', 'executed']]);
    expect(await users()).toEqual([{ email: 'ada@example.com', plan: 'pro' }, { email: 'bo@example.com' }, { email: 'cy@example.com' }]);
  });
});
