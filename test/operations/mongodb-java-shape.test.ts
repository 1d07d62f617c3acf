import { Long } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { CHANGE_STATES } from '../../src/drivers/index.ts';
import { mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { type ChangeUnitDefinition, defineChangeUnit, MongockBuilder, type MongockRunner, silentLogger } from '../../src/index.ts';
import { freshDatabasePerTest } from '../support/mongodb-harness.ts';
import { FERRETDB_URL } from '../support/servers.ts';

/**
 * What Java Mongock 5.5's `MongoSync4ChangeEntryRepository#fromEntity` reads from each document:
 * `getString` for the text fields, `getDate("timestamp")`, `ChangeState.valueOf(state)` (any other
 * state stops Java at start-up), `ChangeType.valueOf(type)`, `getLong("executionMillis")` (a
 * ClassCastException on an int32), `getString("errorTrace")` (string or null), `getBoolean("systemChange")`
 * and `metadata` as a map.
 */
function javaReadable(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of ['executionId', 'changeId', 'author', 'changeLogClass', 'changeSetMethod', 'executionHostname'] as const)
    if (typeof document[key] !== 'string') problems.push(`${key} is not a string`);
  if (!(document.timestamp instanceof Date)) problems.push('timestamp is not a BSON date');
  if (!CHANGE_STATES.includes(document.state as never)) problems.push(`state ${String(document.state)} is unknown to Java`);
  if (document.type !== 'EXECUTION' && document.type !== 'BEFORE_EXECUTION') problems.push(`type ${String(document.type)} is unknown to Java`);
  if (!(document.executionMillis instanceof Long)) problems.push(`executionMillis is not an int64 (${typeof document.executionMillis})`);
  if (document.errorTrace !== null && typeof document.errorTrace !== 'string') problems.push('errorTrace is neither a string nor null');
  if (typeof document.systemChange !== 'boolean') problems.push('systemChange is not a boolean');
  if (document.metadata !== null && (typeof document.metadata !== 'object' || Array.isArray(document.metadata))) problems.push('metadata is not a map');
  return problems;
}

describe('manual marks stay readable by Java Mongock 5.5 (MongoDB wire, FerretDB)', () => {
  const fresh = freshDatabasePerTest(FERRETDB_URL);

  const runner = (...units: readonly ChangeUnitDefinition[]): MongockRunner =>
    new MongockBuilder()
      .setDriver(mongoDriver({ uri: FERRETDB_URL, databaseName: fresh.name }))
      .addChangeUnits(...(units as never[]))
      .setLockQuickConfig()
      .setLogger(silentLogger)
      .buildRunner();

  it('every entry written by runs, failures, after-steps and marks has the shape Java reads, and no state Java refuses', async () => {
    const state = { fail: true };
    const units = [
      defineChangeUnit({ id: 'plain', order: '1', author: 'ops', execute() {}, rollback() {} }),
      defineChangeUnit({
        id: 'broken',
        order: '2',
        author: 'ops',
        recovery: 'manual',
        execute() {
          if (state.fail) throw new Error('broken on purpose');
        },
        rollback() {
          if (state.fail) throw new Error('rollback broken too');
        },
        after() {},
        rollbackAfter() {},
      }),
      defineChangeUnit({ id: 'adopted', order: '3', author: 'ops', execute() {}, rollback() {} }),
    ];
    await runner(...units)
      .execute()
      .catch(() => undefined);
    await runner(...units).mark({ changeId: 'broken', resolution: 'applied', reason: 'fixed by hand', by: 'bob' });
    await runner(...units).mark({ allPending: true, resolution: 'applied', by: 'bob' });
    await runner(...units).mark({ changeId: 'plain', resolution: 'rolled-back', by: 'bob' });

    const documents = await fresh.db.collection('mongockChangeLog').find({}, { promoteLongs: false }).toArray();
    const manual = documents.filter((d) => String(d.executionId).startsWith('manual-'));
    expect(manual.map((d) => [d.changeId, d.state]).sort()).toEqual([
      ['adopted', 'EXECUTED'],
      ['broken', 'EXECUTED'],
      ['broken_after', 'EXECUTED'],
      ['plain', 'ROLLED_BACK'],
    ]);
    expect(documents.map((d) => d.state)).toContain('ROLLBACK_FAILED');
    for (const document of documents) expect(javaReadable(document), String(document.changeId)).toEqual([]);
    const broken = manual.find((d) => d.changeId === 'broken')!;
    expect(broken.metadata).toEqual({
      manualResolution: { manual: true, resolution: 'applied', by: 'bob', reason: 'fixed by hand', previousState: 'interrupted' },
    });
    expect((broken.executionMillis as Long).toNumber()).toBe(-1);
    expect(broken.errorTrace).toBeNull();
  });
});
