import { afterEach, describe, expect, it } from 'vitest';
import { defineChangeUnit } from '../../src/change/define-change-unit.ts';
import { mongoDriver } from '../../src/drivers/mongodb/index.ts';
import type { MongockError } from '../../src/errors/mongock-error.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { MongockBuilder } from '../../src/runner/mongock-builder.ts';
import { FERRETDB_URL } from '../support/servers.ts';
import { fiveUnits, lastJson, type MongoTarget, mongoTargetFor, runWorker, type SqlTarget, sqlTargetFor } from './support.ts';

// Issue 18, points 7 and 8 on every SQL driver, with real processes on real servers: what Mongock
// reads back from its lock and history tables is validated (a hand-edited in-progress marker, a
// history row whose metadata is not a JSON object), so a run stops with CORRUPT_RECORD naming the
// table and the row before anything runs, `status` shows a corrupt marker, `unlock --force`
// always clears it; and a history write the database refuses names the change, author and
// execution id it was recording. The side-effect counter (effect rows per unit) proves nothing ran.

type SqlDriver = 'sqlite' | 'postgres' | 'mysql';

/** A refusing trigger on the history table, for change `changeId`, in each dialect. */
function refusingTrigger(driver: SqlDriver, history: string, changeId: string): string[] {
  switch (driver) {
    case 'sqlite':
      return [
        `CREATE TRIGGER refuse_${changeId} BEFORE INSERT ON ${history} WHEN NEW.change_id = '${changeId}' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END`,
      ];
    case 'postgres': {
      const fn = history.replace(/"mongock_change_log"$/, '"refuse_fn"');
      return [
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.change_id = '${changeId}' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END $$`,
        `CREATE TRIGGER refuse BEFORE INSERT ON ${history} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      ];
    }
    case 'mysql':
      return [
        `CREATE TRIGGER ${history.replace(/`mongock_change_log`$/, '`refuse`')} BEFORE INSERT ON ${history} FOR EACH ROW BEGIN IF NEW.change_id = '${changeId}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by a test trigger'; END IF; END`,
      ];
  }
}

/** A fresh target per test (dropped after it), and a worker on the current one. */
function freshTargets(driver: SqlDriver) {
  let target: SqlTarget | undefined;
  afterEach(async () => {
    await target?.drop();
    target = undefined;
  });
  return {
    fresh: async () => {
      target = await sqlTargetFor(driver);
      return target;
    },
    worker: (action: 'migrate' | 'status' | 'unlock-force', units = fiveUnits()) => runWorker({ driver, target: target!.target, action, units }),
  };
}

/** Metadata that is stored by the database but is not a JSON object. */
const BAD_METADATA: Record<SqlDriver, string> = { sqlite: "'not json {'", postgres: `'"a hand edit"'::jsonb`, mysql: `'"a hand edit"'` };

describe.each(['sqlite', 'postgres', 'mysql'] as const)('%s: corrupt records (real processes)', (driver) => {
  const { worker, fresh } = freshTargets(driver);

  it("a history row whose metadata is not a JSON object: migrate and status stop with CORRUPT_RECORD naming the table and the row's change", async () => {
    const target = await fresh();
    expect((await worker('migrate', fiveUnits().slice(0, 1))).code).toBe(0);
    await target.exec(`UPDATE ${target.tables.history} SET metadata = ${BAD_METADATA[driver]} WHERE change_id = 'u1'`);

    for (const action of ['migrate', 'status'] as const) {
      const refused = lastJson((await worker(action)).stdout);
      expect(refused, action).toMatchObject({ error: 'CORRUPT_RECORD' });
      expect(refused.message, action).toContain(driver === 'sqlite' ? 'mongockChangeLog' : 'mongock_change_log');
      expect(refused.message, action).toContain("change 'u1' by 'reliability'");
      expect(refused.message, action).toContain('SET metadata = NULL');
      expect(refused.message, action).not.toMatch(/\n\s+at /);
    }
    expect(await target.count()).toEqual({ u1: 10 });

    await target.exec(`UPDATE ${target.tables.history} SET metadata = NULL WHERE change_id = 'u1'`);
    expect(lastJson((await worker('migrate', fiveUnits().slice(0, 2))).stdout)).toMatchObject({ status: 'completed', executed: ['u2'] });
  }, 90_000);

  it('a history write the database refuses: the error names the change, author and execution id it was recording; the unit rolled back', async () => {
    const target = await fresh();
    expect((await worker('migrate', fiveUnits().slice(0, 1))).code).toBe(0);
    for (const statement of refusingTrigger(driver, target.tables.history, 'u2')) await target.exec(statement);

    const failed = lastJson((await worker('migrate', fiveUnits().slice(0, 3))).stdout);
    expect(failed).toMatchObject({ error: 'CHANGE_FAILED' });
    // PostgreSQL sends the entry's INSERT with the COMMIT: the refusal comes from the commit.
    const refusal =
      driver === 'postgres'
        ? "commit change 'u2' by 'reliability' \\(execution id '[^']+'\\) with its EXECUTED entry"
        : "record EXECUTED for change 'u2' by 'reliability' \\(execution id '[^']+'\\)";
    expect(failed.message).toMatch(new RegExp(`refused to ${refusal} in Mongock's history`));
    expect(failed.message).toContain('refused by a test trigger');
    expect(failed.message).not.toMatch(/\n\s+at /);
    // The unit's transaction took its rows back; nothing after it ran.
    expect(await target.count()).toEqual({ u1: 10 });
  }, 90_000);
});

describe('mongodb (FerretDB): a malformed history document (real processes)', () => {
  let target: MongoTarget | undefined;
  afterEach(async () => {
    await target?.drop();
    target = undefined;
  });
  const worker = (action: 'migrate' | 'status', units = fiveUnits()) => runWorker({ driver: 'mongodb', target: target!.target, action, units });

  it('migrate and status stop with CORRUPT_RECORD naming the collection and the _id, for each field of the wrong kind; fixed, the run goes on', async () => {
    target = await mongoTargetFor();
    expect((await worker('migrate', fiveUnits().slice(0, 1))).code).toBe(0);
    const history = target.db.collection('mongockChangeLog');
    const entry = await history.findOne({ changeId: 'u1' });
    const id = entry!._id.toHexString();
    const says = (message: unknown, what: RegExp) => {
      expect(message).toContain(`history collection ${target!.target.split('|')[1]}.mongockChangeLog`);
      expect(message).toContain(`_id ObjectId("${id}")`);
      expect(message).toMatch(what);
      expect(message).not.toMatch(/\n\s+at /);
    };
    // Real processes: a hand-edited metadata stops migrate and status.
    await history.updateOne({ _id: entry!._id }, { $set: { metadata: 'a hand edit' } });
    for (const action of ['migrate', 'status'] as const) {
      const refused = lastJson((await worker(action)).stdout);
      expect(refused, action).toMatchObject({ error: 'CORRUPT_RECORD' });
      says(refused.message, /change 'u1' by 'reliability'\) has a metadata that is not an object \("a hand edit"\)/);
    }
    // Each other field of the wrong kind, through status() in this process (same read path).
    const status = () =>
      new MongockBuilder()
        .setDriver(mongoDriver({ uri: FERRETDB_URL, databaseName: target!.target.split('|')[1]! }))
        .addChangeUnits(defineChangeUnit({ id: 'u1', order: '001', author: 'reliability', execute: () => {}, rollback: () => {} }))
        .setLogger(silentLogger)
        .buildRunner()
        .status();
    const edits: [Record<string, unknown>, RegExp][] = [
      [{ state: 'DONE' }, /has a state that is not one of EXECUTED, FAILED/],
      [{ changeId: 42 }, /has a changeId that is not a non-empty string \(42\)/],
      [{ author: ['x'] }, /has an author that is not a string/],
      [{ timestamp: 'yesterday' }, /has a timestamp that is not a date/],
    ];
    for (const [edit, what] of edits) {
      await history.replaceOne({ _id: entry!._id }, { ...entry!, ...edit });
      const error = await status().then(
        () => undefined,
        (e: unknown) => e as MongockError,
      );
      expect(error?.code, JSON.stringify(edit)).toBe('CORRUPT_RECORD');
      says(error?.message, what);
    }
    await history.replaceOne({ _id: entry!._id }, entry!);
    // Nothing ran while the document was unreadable; put back, the next units run.
    expect(await target.count()).toEqual({ u1: 10 });
    expect(lastJson((await worker('migrate', fiveUnits().slice(0, 2))).stdout)).toMatchObject({ status: 'completed', executed: ['u2'] });
  }, 180_000);
});

// SQLite's unreadable marker (not JSON) is test/reliability/sqlite-lock.test.ts's.
describe.each(['postgres', 'mysql'] as const)('%s: a corrupt lock record (real processes)', (driver) => {
  const { worker, fresh } = freshTargets(driver);

  it('an in-progress marker edited by hand ({"note": ...}): status shows it, migrate refuses with CORRUPT_RECORD, unlock --force clears it', async () => {
    const target = await fresh();
    expect((await worker('migrate', fiveUnits().slice(0, 2))).code).toBe(0);
    await target.exec(`UPDATE ${target.tables.lock} SET in_progress = '{"note": "edited by hand"}'`);

    const status = lastJson((await worker('status')).stdout);
    expect((status.lock as { problem?: string }).problem).toMatch(/in-progress marker lacks a string changeId.*unlock --force/);
    const refused = lastJson((await worker('migrate')).stdout);
    expect(refused).toMatchObject({ error: 'CORRUPT_RECORD' });
    expect(refused.message).toContain('mongock_lock');
    expect(refused.message).not.toMatch(/\n\s+at /);
    expect(await target.count()).toEqual({ u1: 10, u2: 10 });

    const forced = lastJson((await worker('unlock-force')).stdout);
    expect(forced.released).toBe(true);
    expect(lastJson((await worker('migrate')).stdout)).toMatchObject({ status: 'completed', executed: ['u3', 'u4', 'u5'] });
    expect(await target.count()).toEqual({ u1: 10, u2: 10, u3: 10, u4: 10, u5: 10 });
  }, 90_000);
});
