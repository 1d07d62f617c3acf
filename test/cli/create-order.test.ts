import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, parseJson, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

const CONFIG = `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';

export default defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
`;

/** A unit that fails unless every unit with a smaller position already ran: it appends to `runs` after checking the count. */
const unit = (id: string, order: string, position: number): string => `import { defineChangeUnit } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

export default defineChangeUnit<SqliteChangeContext>({
  id: '${id}',
  order: '${order}',
  author: 'dev',
  async execute({ sql }) {
    await sql.exec('CREATE TABLE IF NOT EXISTS runs (id TEXT)');
    const done = (await sql.get('SELECT COUNT(*) AS n FROM runs')) as { n: number };
    if (done.n !== ${position}) throw new Error('${id} ran as number ' + done.n + ', expected ${position}');
    await sql.run('INSERT INTO runs (id) VALUES (?)', '${id}');
  },
  async rollback() {},
});
`;

/** The unit create writes: it indexes the table that the first unit creates, so it fails if it runs first. */
const TEMPLATE = `import { defineChangeUnit } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

export default defineChangeUnit<SqliteChangeContext>({
  id: '{{id}}',
  order: '{{order}}',
  author: '{{author}}',
  async execute({ sql }) {
    await sql.exec('CREATE INDEX runs_id ON runs (id)');
  },
  async rollback() {},
});
`;

const LEGACY = (changeLogOrder: string) => `import { ChangeLog, ChangeSet } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

@ChangeLog(${changeLogOrder === '' ? '' : `{ order: '${changeLogOrder}' }`})
export class Legacy {
  @ChangeSet({ id: 'legacy-a', author: 'dev', order: '001' })
  async a({ sql }: SqliteChangeContext) {
    await sql.exec('CREATE TABLE IF NOT EXISTS runs (id TEXT)');
    await sql.run('INSERT INTO runs (id) VALUES (?)', 'legacy-a');
  }

  @ChangeSet({ id: 'legacy-b', author: 'dev', order: '002' })
  async b({ sql }: SqliteChangeContext) {
    await sql.run('INSERT INTO runs (id) VALUES (?)', 'legacy-b');
  }
}
`;

function project(units: Record<string, string>): string {
  const files: Record<string, string> = { 'tsconfig.json': '{}', 'mongock.config.ts': CONFIG, 'add-index.template.ts': TEMPLATE };
  for (const [name, text] of Object.entries(units)) files[`migrations/${name}`] = text;
  return tempProject(files);
}

type Unit = { changeId: string; order: string; state: string };

/** create add-index, then migrate a fresh database: the new unit must be written with `expected` and run last. */
async function createAndMigrate(dir: string, expected: string): Promise<void> {
  const created = await mongock(['create', 'add-index', '--template', 'add-index.template.ts', '--json'], { cwd: dir });
  expect(created.code, created.stderr).toBe(0);
  expect(parseJson(created)).toMatchObject({ ok: true, changeId: 'add-index', order: expected });
  // No order warning about the file it just wrote (one about older files may stay).
  expect(created.stderr.split('\n').filter((line) => line.includes('compared as strings') && line.includes(`'${expected}'`))).toEqual([]);
  expect(existsSync(join(dir, 'migrations', `${expected}_add-index.ts`))).toBe(true);
  const migrated = await mongock(['migrate', '--json'], { cwd: dir });
  expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
  const status = parseJson(await mongock(['status', '--json'], { cwd: dir }));
  const units = status.units as Unit[];
  expect(units.at(-1)).toMatchObject({ changeId: 'add-index', state: 'executed' });
  expect(units.every((u) => u.state === 'executed')).toBe(true);
}

describe('mongock create writes a unit that runs after every existing unit', () => {
  it('3-digit orders: 004, which runs after 001-003 on a fresh database', async () => {
    await createAndMigrate(project({ '001_a.ts': unit('a', '001', 0), '002_b.ts': unit('b', '002', 1), '003_c.ts': unit('c', '003', 2) }), '004');
  });

  it('4-digit orders: 0011 after 0010', async () => {
    await createAndMigrate(project({ '0001_a.ts': unit('a', '0001', 0), '0010_b.ts': unit('b', '0010', 1) }), '0011');
  });

  it('date-stamped orders: a stamp of the same width after the newest one', async () => {
    const dir = project({ '20261201090000_a.ts': unit('a', '20261201090000', 0), '29991231235959_b.ts': unit('b', '29991231235959', 1) });
    await createAndMigrate(dir, '29991231235960');
  });

  it('mixed widths (an old create wrote 0004 next to 001-003): an order after the greatest as strings compare', async () => {
    // As strings, 0004 < 001: it runs first, then 001, 002, then the new one.
    const dir = project({ '001_a.ts': unit('a', '001', 1), '002_b.ts': unit('b', '002', 2), '0004_old.ts': unit('old', '0004', 0) });
    await createAndMigrate(dir, '003');
  });

  it('legacy ChangeLog/ChangeSet orders: after the ChangeLog order', async () => {
    const dir = project({ '001_a.ts': unit('a', '001', 0), '002_legacy.ts': LEGACY('002') });
    // 'a' expects to be first; the ChangeSets then add two rows
    await createAndMigrate(dir, '003');
  });

  it('refuses an order that would not run last, writing nothing, unless --allow-confusing-ordering', async () => {
    const dir = project({ '001_a.ts': unit('a', '001', 0), '002_b.ts': unit('b', '002', 1) });
    const refused = await mongock(['create', 'add-index', '--order', '0003'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Order '0003' would not run last: it sorts before 002_b.ts (order '002'), so it would run first on a fresh database.");
    expect(refused.stderr).toContain('--allow-confusing-ordering');
    expect(readdirSync(join(dir, 'migrations')).sort()).toEqual(['001_a.ts', '002_b.ts']);
    const forced = await mongock(['create', 'add-index', '--order', '0003', '--allow-confusing-ordering', '--json'], { cwd: dir });
    expect(parseJson(forced)).toMatchObject({ ok: true, order: '0003' });
    expect(readdirSync(join(dir, 'migrations')).sort()).toEqual(['0003_add-index.ts', '001_a.ts', '002_b.ts']);
  });

  it('refuses when a ChangeLog without order exists: it runs after every unit with one', async () => {
    const dir = project({ '001_a.ts': unit('a', '001', 0), 'legacy.ts': LEGACY('') });
    const refused = await mongock(['create', 'add-index'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Order '002' would not run last: 'legacy-a' has no order, and a unit without order runs after every unit with one.");
    expect(readdirSync(join(dir, 'migrations')).sort()).toEqual(['001_a.ts', 'legacy.ts']);
  });
});
