import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listUnitFiles } from '../../src/change/unit-files.ts';
import { MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { MongockBuilder, type MongockError, silentLogger } from '../../src/index.ts';

// Copies of the same files in fresh folders have the same digests (path relative to the scan
// path, and text), but new module URLs: a copy that is imported evaluates again and says so in
// the import log, which is how these tests see what was imported.
const work = join(import.meta.dirname, '.startup-work');
const log = join(work, 'imports.log');
let copies = 0;
mkdirSync(work, { recursive: true });
afterAll(() => rmSync(work, { recursive: true, force: true }));
// The units write to this hook at import time; it is the same function for every copy.
(globalThis as { __mongockImported?: (name: string) => void }).__mongockImported = (name) => appendFileSync(log, `${name}\n`);

function unitFile(id: string, body = 'await kv.set(id, true);', extra = ''): string {
  return `import { defineChangeUnit } from '../../../../src/index.ts';
globalThis.__mongockImported('${id}');
const id = '${id}';
export default defineChangeUnit({ id, order: '${id}', author: 'dev', ${extra}
  async execute({ kv }) { ${body} },
  async rollback() {},
});
`;
}

/** A fresh folder holding these files; returns its path. */
function folder(files: Record<string, string>): string {
  const dir = join(work, `copy-${++copies}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function imported(): string[] {
  if (!existsSync(log)) return [];
  const names = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  rmSync(log);
  // Concurrent imports evaluate in no fixed order.
  return names.sort();
}

function run(database: MemoryDatabase, dir: string, configure: (builder: MongockBuilder) => MongockBuilder = (b) => b) {
  return configure(new MongockBuilder().setDriver(memoryDriver({ database })).setLogger(silentLogger).addMigrationScanPath(dir))
    .buildRunner()
    .execute();
}

const three = { '001.mjs': unitFile('001'), '002.mjs': unitFile('002'), '003.mjs': unitFile('003') };

describe('start-up without importing applied, unchanged files', () => {
  it('imports nothing when every file is recorded as applied, and reads the history once', async () => {
    const database = new MemoryDatabase();
    expect((await run(database, folder(three))).executed).toBe(3);
    expect(imported()).toEqual(['001', '002', '003']);
    expect(database.history.map((entry) => entry.checksum)).toEqual(
      Array.from({ length: 3 }, () => expect.stringMatching(/^[0-9a-f]{16}\.[0-9a-f]{16}\.f[0-9a-f]{16}-1$/)),
    );
    database.calls.clear();
    const again = await run(database, folder(three));
    expect(again.status).toBe('up-to-date');
    expect(imported()).toEqual([]);
    expect(Object.fromEntries(database.calls)).toEqual({ connect: 1, readHistory: 1 });
  });

  it('an edited applied file is imported and reported as changed', async () => {
    const database = new MemoryDatabase();
    await run(database, folder(three));
    imported();
    const edited = folder({ ...three, '002.mjs': unitFile('002', 'await kv.set(id, 42);') });
    const error = await run(database, edited, (b) => b.setOnChecksumMismatch('fail')).catch((e: MongockError) => e);
    expect((error as MongockError).code).toBe('CHECKSUM_MISMATCH');
    expect((error as MongockError).message).toContain("'002' by 'dev'");
    expect(imported()).toEqual(['001', '002', '003']);
  });

  it('a comment-only edit is imported (the file differs) but is not a change of code', async () => {
    const database = new MemoryDatabase();
    await run(database, folder(three));
    imported();
    const result = await run(database, folder({ ...three, '003.mjs': `// reviewed\n${three['003.mjs']}` }), (b) => b.setOnChecksumMismatch('fail'));
    expect(result.status).toBe('up-to-date');
    expect(imported()).toEqual(['001', '002', '003']);
  });

  it('a new file sends the run down the full path and is applied', async () => {
    const database = new MemoryDatabase();
    await run(database, folder(three));
    imported();
    const result = await run(database, folder({ ...three, '004.mjs': unitFile('004') }));
    expect(result.items.filter((item) => item.outcome === 'executed').map((item) => item.changeId)).toEqual(['004']);
    expect(imported()).toEqual(['001', '002', '003', '004']);
    // And now the four are known: nothing is imported.
    await run(database, folder({ ...three, '004.mjs': unitFile('004') }));
    expect(imported()).toEqual([]);
  });

  it('a file with a runAlways unit is imported and run at every start-up', async () => {
    const database = new MemoryDatabase();
    const files = { ...three, '004.mjs': unitFile('004', 'await kv.set(id, true);', 'runAlways: true,') };
    await run(database, folder(files));
    imported();
    const second = await run(database, folder(files));
    expect(second.status).toBe('completed');
    expect(imported()).toEqual(['001', '002', '003', '004']);
  });

  it('a file whose units are partly applied (a unit outside the active profiles) is imported', async () => {
    const database = new MemoryDatabase();
    const two = `import { defineChangeUnit } from '../../../../src/index.ts';
globalThis.__mongockImported('pair');
export const a = defineChangeUnit({ id: 'pa', order: '010', author: 'dev', execute() {}, rollback() {} });
export const b = defineChangeUnit({ id: 'pb', order: '011', author: 'dev', profiles: ['later'], execute() {}, rollback() {} });
`;
    expect((await run(database, folder({ 'pair.mjs': two }))).executed).toBe(1);
    imported();
    expect((await run(database, folder({ 'pair.mjs': two }))).status).toBe('up-to-date');
    expect(imported()).toEqual(['pair']);
    expect((await run(database, folder({ 'pair.mjs': two }), (b) => b.setActiveProfiles(['later']))).executed).toBe(1);
  });

  it('another default author is another identity: the files are imported', async () => {
    const database = new MemoryDatabase();
    const files = { '001.mjs': unitFile('001').replace("author: 'dev', ", '') };
    await run(database, folder(files), (b) => b.setDefaultAuthor('alice'));
    imported();
    const result = await run(database, folder(files), (b) => b.setDefaultAuthor('bob'));
    expect(imported()).toEqual(['001']);
    expect(result.executed).toBe(1);
  });

  it('imports the files to load concurrently, not one after another', async () => {
    // The first file waits, at import time, for the second to be evaluated: imported one after
    // another, the first would never finish (and the test would time out).
    const waiting = `globalThis.__mongockBarrier ??= Promise.withResolvers?.() ?? (() => { let resolve; const promise = new Promise((r) => { resolve = r; }); return { promise, resolve }; })();
await globalThis.__mongockBarrier.promise;
${unitFile('101')}`;
    const releasing = `globalThis.__mongockBarrier ??= Promise.withResolvers?.() ?? (() => { let resolve; const promise = new Promise((r) => { resolve = r; }); return { promise, resolve }; })();
globalThis.__mongockBarrier.resolve();
${unitFile('102')}`;
    const result = await run(new MemoryDatabase(), folder({ '101.mjs': waiting, '102.mjs': releasing }));
    expect(result.executed).toBe(2);
    expect(imported()).toEqual(['101', '102']);
  }, 20_000);

  it("a .sql unit's digest covers its sibling *.rollback.sql: adding or editing it is another identity", async () => {
    const dir = folder({ '001_add_table.sql': 'CREATE TABLE t (id int);\n' });
    const digest = async () => (await listUnitFiles([dir], ''))[0]!.digest;
    const alone = await digest();
    writeFileSync(join(dir, '001_add_table.rollback.sql'), 'DROP TABLE t;\n');
    const withRollback = await digest();
    writeFileSync(join(dir, '001_add_table.rollback.sql'), 'DROP TABLE IF EXISTS t;\n');
    const edited = await digest();
    expect(new Set([alone, withRollback, edited]).size).toBe(3);
    expect((await listUnitFiles([dir], '')).map((file) => file.path)).toEqual([join(dir, '001_add_table.sql')]);
  });

  it('a digest is SHA-256 over salt, relative path and bytes, as recorded before: files larger than the read buffer, nested folders, a rollback sibling', async () => {
    // The history keeps these digests: the format must not change with how the files are read.
    const dir = folder({});
    mkdirSync(join(dir, 'nested'));
    const big = `// ${'x'.repeat(200_000)}\n${unitFile('201')}`;
    writeFileSync(join(dir, 'nested', '201.mjs'), big);
    writeFileSync(join(dir, '001_add_table.sql'), 'CREATE TABLE t (id int);\n');
    writeFileSync(join(dir, '001_add_table.rollback.sql'), 'DROP TABLE t;\n');
    writeFileSync(join(dir, 'empty.mjs'), '');
    const expected = (bytes: string) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    expect(await listUnitFiles([dir], 'ana')).toEqual([
      {
        path: join(dir, '001_add_table.sql'),
        digest: expected('ana\u0000001_add_table.sql\u0000CREATE TABLE t (id int);\n\u0000rollback\u0000DROP TABLE t;\n'),
      },
      { path: join(dir, 'empty.mjs'), digest: expected('ana\u0000empty.mjs\u0000') },
      { path: join(dir, 'nested', '201.mjs'), digest: expected(`ana\u0000nested/201.mjs\u0000${big}`) },
    ]);
  });

  it('a missing scan path is reported before anything connects (the digests, not the listing, overlap the connection)', async () => {
    const driver = memoryDriver({ database: new MemoryDatabase() });
    const events: string[] = [];
    const watched = {
      ...driver,
      connect: (...args: Parameters<typeof driver.connect>) => {
        events.push('connect');
        return driver.connect(...args);
      },
    };
    const missing = join(work, 'no-such-folder');
    const failed = await new MongockBuilder()
      .setDriver(watched)
      .setLogger(silentLogger)
      .addMigrationScanPath(missing)
      .buildRunner()
      .execute()
      .catch((error: MongockError) => error);
    expect(failed).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(events).toEqual([]);
  });

  it('a file that cannot be read while the connection is still opening fails the run with its error, not the process', async () => {
    const driver = memoryDriver({ database: new MemoryDatabase() });
    // The connection opens after a few turns of the event loop: the first slice of digests fails before it.
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    };
    const slow = {
      ...driver,
      connect: async (...args: Parameters<typeof driver.connect>) => {
        await turns(5);
        return driver.connect(...args);
      },
    };
    const dir = folder({ '001.mjs': unitFile('001') });
    symlinkSync(join(dir, 'missing.mjs'), join(dir, '002.mjs'));
    const failed = await new MongockBuilder()
      .setDriver(slow)
      .setLogger(silentLogger)
      .addMigrationScanPath(dir)
      .buildRunner()
      .execute()
      .catch((error: MongockError) => error);
    expect(failed).toMatchObject({ code: 'MODULE_LOAD_FAILED', file: join(dir, '002.mjs'), cause: { code: 'ENOENT' } });
    expect((failed as MongockError).message).toContain('Could not read change unit file');
  });
});
