import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, parseJson, tempProject } from '../cli/cli-harness.ts';

// `mongock migrate --max-run-ms` with several tenants (the real binary, a SQLite file per tenant):
// one budget for the whole command, as a deploy timeout sees it. A 1 ms budget is spent by the
// first tenant's first batch (at least one batch runs per start), so that tenant stops in
// progress and the tenants after it (concurrency 1) are not started: counted, not timed.

const CONFIG = `import { defineMultiTenantConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';
export default defineMultiTenantConfig({
  migrationScanPath: './migrations',
  tenants: {
    list: async () => ['acme', 'globex', 'initech'].map((id) => ({ id })),
    driver: (tenant) => sqliteDriver({ filename: \`tenants/\${tenant.id}.db\` }),
    concurrency: 1,
  },
});
`;

const UNIT = `import { batched, defineChangeUnit } from 'mongock';
import { tableSource } from 'mongock/sqlite';
export default defineChangeUnit({
  id: 'mark-items', order: '001', author: 'data',
  execute: batched({
    source: tableSource({ table: 'items', columns: ['id'] }),
    size: 5,
    async apply(batch, { sql }) {
      for (const row of batch) await sql.run('UPDATE items SET n = n + 1 WHERE id = ?', row.id);
    },
  }),
  async rollback() {},
});
`;

const TENANTS = ['acme', 'globex', 'initech'];
const ROWS = 20;

function seed(dir: string): void {
  for (const id of TENANTS) {
    const db = new Database(join(dir, 'tenants', `${id}.db`));
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)');
    const insert = db.prepare('INSERT INTO items (id) VALUES (?)');
    for (let row = 1; row <= ROWS; row++) insert.run(row);
    db.close();
  }
}

/** How many rows of the tenant carry each marker value. */
function markers(dir: string, id: string): Record<number, number> {
  const db = new Database(join(dir, 'tenants', `${id}.db`), { readonly: true });
  try {
    const rows = db.prepare('SELECT n, count(*) AS c FROM items GROUP BY n').all() as Array<{ n: number; c: number }>;
    return Object.fromEntries(rows.map((row) => [row.n, row.c]));
  } finally {
    db.close();
  }
}

describe('mongock migrate --max-run-ms with several tenants (SQLite files)', () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 240_000);
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('one budget for the whole command: the tenant running at the deadline stops in progress, the ones not started are skipped (time-budget), exit 5; the next runs finish', async () => {
    dir = tempProject({ 'package.json': '{ "type": "module" }', 'mongock.config.mjs': CONFIG, 'migrations/001_mark.mjs': UNIT, 'tenants/.keep': '' });
    seed(dir);

    const all = await mongock(['migrate', '--all-tenants', '--max-run-ms', '1', '--json'], { cwd: dir });
    expect(all.code, all.stderr + all.stdout).toBe(5);
    const json = parseJson(all) as { ok: boolean; tenants: Array<Record<string, unknown>> };
    expect(json.ok).toBe(true);
    expect(json.tenants.map((t) => [t.tenant, t.outcome, t.reason ?? null])).toEqual([
      ['acme', 'in-progress', null],
      ['globex', 'skipped', 'time-budget'],
      ['initech', 'skipped', 'time-budget'],
    ]);
    expect(markers(dir, 'acme')).toEqual({ 0: ROWS - 5, 1: 5 });
    expect(markers(dir, 'globex')).toEqual({ 0: ROWS });

    // Several --tenant: the same rule; the text output says what is left.
    const two = await mongock(['migrate', '--tenant', 'globex', '--tenant', 'initech', '--max-run-ms', '1'], { cwd: dir });
    expect(two.code, two.stderr + two.stdout).toBe(5);
    expect(two.stdout + two.stderr).toContain('2 tenants left with work at the time budget (--max-run-ms): run migrate again to continue.');
    expect(markers(dir, 'globex')).toEqual({ 0: ROWS - 5, 1: 5 });
    expect(markers(dir, 'initech')).toEqual({ 0: ROWS });

    const rest = await mongock(['migrate', '--all-tenants', '--json'], { cwd: dir });
    expect(rest.code, rest.stderr + rest.stdout).toBe(0);
    expect((parseJson(rest) as { tenants: Array<Record<string, unknown>> }).tenants.map((t) => t.outcome)).toEqual(['completed', 'completed', 'completed']);
    // Resumed, not restarted: every row of every tenant marked exactly once.
    for (const id of TENANTS) expect(markers(dir, id)).toEqual({ 1: ROWS });
  });
});
