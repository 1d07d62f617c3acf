/**
 * Change detection survives a Java Mongock run (MongoDB wire, FerretDB). When Java Mongock 5.5
 * meets a history without its `system-change-00001` entries, it re-saves every entry in its own
 * 13-field shape and drops every field it does not know (`checksum` among them). The checksums
 * kept in `<history>.checksums` make `status` (and `mongock validate --db`) still see an edited unit.
 */
import { describe, expect, it } from 'vitest';
import { mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { freshDatabasePerTest, JAVA_CHANGE_ENTRY_FIELDS } from '../support/mongodb-harness.ts';
import { FERRETDB_URL } from '../support/servers.ts';

describe('checksums survive a Java Mongock re-save of the history (FerretDB)', () => {
  const fresh = freshDatabasePerTest(FERRETDB_URL);

  const runner = (body: string, ...more: object[]) =>
    new MongockBuilder()
      .setDriver(mongoDriver({ uri: FERRETDB_URL, databaseName: fresh.name }))
      .setLogger(silentLogger)
      .addChangeUnits(
        defineChangeUnit({
          id: 'seed',
          order: '001',
          author: 'dev',
          // A different function body is a different checksum.
          execute: new Function('context', body) as () => Promise<void>,
          rollback: async () => {},
        }),
        ...(more as never[]),
      )
      .buildRunner();

  /** What Java does: replace each entry (by _id, as its upsert by key does) with its 13 fields only. */
  async function javaResave(): Promise<void> {
    const history = fresh.db.collection('mongockChangeLog');
    for (const document of await history.find().toArray()) {
      const javaShape = Object.fromEntries(JAVA_CHANGE_ENTRY_FIELDS.map((field) => [field, document[field]]));
      await history.replaceOne({ _id: document._id }, javaShape);
    }
  }

  it('an edited unit is still reported changed after the re-save dropped every checksum field', async () => {
    await runner('return undefined;').execute();
    const before = await fresh.db.collection('mongockChangeLog').findOne({ changeId: 'seed' });
    expect(typeof before?.checksum).toBe('string');

    await javaResave();
    const after = await fresh.db.collection('mongockChangeLog').findOne({ changeId: 'seed' });
    expect(after).not.toHaveProperty('checksum');
    expect(Object.keys(after!).filter((key) => key !== '_id')).toEqual([...JAVA_CHANGE_ENTRY_FIELDS]);

    const unchanged = await runner('return undefined;').status();
    expect(unchanged.units.map((unit) => [unit.changeId, unit.state, unit.changed])).toEqual([['seed', 'executed', false]]);
    const edited = await runner('return 42;').status();
    expect(edited.units.map((unit) => [unit.changeId, unit.state, unit.changed])).toEqual([['seed', 'executed', true]]);
  });

  it('migrates the checksum fields of an older history into the companion collection', async () => {
    await runner('return undefined;').execute();
    // A history written before the companion collection existed: checksums only in the entries.
    await fresh.db.collection('mongockChangeLog.checksums').drop();
    // The next run that has work to do prepares the history, which copies them.
    const next = defineChangeUnit({ id: 'next', order: '002', author: 'dev', execute: async () => {}, rollback: async () => {} });
    expect((await runner('return undefined;', next).execute()).items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual([
      'next',
    ]);
    expect(await fresh.db.collection('mongockChangeLog.checksums').countDocuments({ changeId: 'seed', checksum: { $type: 'string' } })).toBe(1);

    await javaResave();
    expect((await runner('return 42;').status()).units[0]!.changed).toBe(true);
  });

  it('completes a short companion by inserts, keeps the documents present, and an accepted checksum replaces its companion', async () => {
    const second = defineChangeUnit({ id: 'second', order: '002', author: 'dev', execute: async () => {}, rollback: async () => {} });
    await runner('return undefined;', second).execute();
    const companion = fresh.db.collection('mongockChangeLog.checksums');
    expect(await companion.countDocuments({ checksum: { $type: 'string' } })).toBe(2);
    // One companion document lost (a crash before the write), the other one holding another value.
    await companion.deleteOne({ changeId: 'second' });
    await companion.updateOne({ changeId: 'seed' }, { $set: { checksum: 'kept-as-is' } });
    const third = defineChangeUnit({ id: 'third', order: '003', author: 'dev', execute: async () => {}, rollback: async () => {} });
    await runner('return undefined;', second, third).execute();
    const byId = async () => Object.fromEntries((await companion.find({}).toArray()).map((document) => [document.changeId, document.checksum]));
    const entries = Object.fromEntries(
      (await fresh.db.collection('mongockChangeLog').find({}).toArray()).map((document) => [document.changeId, document.checksum]),
    );
    expect(await byId()).toEqual({ seed: 'kept-as-is', second: entries.second, third: entries.third });

    // The accepted checksum is saved over the entry's key: its companion exists and is updated.
    const edited = runner('return 42;', second, third);
    await edited.acceptChecksum('seed');
    const accepted = (await fresh.db.collection('mongockChangeLog').findOne({ changeId: 'seed' }))?.checksum;
    expect(accepted).not.toBe(entries.seed);
    expect((await byId()).seed).toBe(accepted);
  });
});
