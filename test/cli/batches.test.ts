import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, parseJson, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

// The binary with a batched unit on SQLite: `migrate --max-run-ms` stops at a batch boundary
// with exit code 5, `status` and `doctor` show the checkpoint, and off a terminal the progress
// is one line every 10 batches (and the last).

const CONFIG = `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';
export default defineConfig({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
`;

const UNIT = `import { batched, defineChangeUnit } from 'mongock';
import { tableSource } from 'mongock/sqlite';
export default defineChangeUnit({
  id: 'double-prices', order: '001', author: 'data',
  execute: batched({
    source: tableSource({ table: 'prices', where: 'amount IS NOT NULL', columns: ['id'] }),
    size: 2,
    async apply(batch, { sql }) {
      for (const row of batch) await sql.run('UPDATE prices SET amount = amount * 2, touched = touched + 1 WHERE id = ?', row.id);
    },
  }),
  async rollback() {},
});
`;

function seed(dir: string): void {
  const db = new Database(join(dir, 'app.db'));
  db.exec('CREATE TABLE prices (id INTEGER PRIMARY KEY, amount INTEGER, touched INTEGER NOT NULL DEFAULT 0)');
  const insert = db.prepare('INSERT INTO prices (id, amount) VALUES (?, ?)');
  // 27 rows, 25 with an amount: 13 batches of 2 (the 13th holds one row and ends the source).
  for (let id = 1; id <= 27; id++) insert.run(id, id === 5 || id === 17 ? null : id);
  db.close();
}

describe('mongock migrate --max-run-ms, status and doctor with a batched unit (SQLite)', () => {
  it('stops after one batch with exit 5; status and doctor show 4 / 25 and the last key; migrate finishes printing every 10th batch and the last', async () => {
    const dir = tempProject({ 'package.json': '{ "type": "module" }', 'mongock.config.ts': CONFIG, 'migrations/001_double.ts': UNIT });
    seed(dir);
    // A 1 ms budget: the first batch always runs, the budget is then past.
    const stopped = await mongock(['migrate', '--max-run-ms', '1'], { cwd: dir });
    expect(stopped.code, stopped.stderr + stopped.stdout).toBe(5);
    expect(stopped.stdout).toContain('in-progress double-prices');
    expect(stopped.stdout + stopped.stderr).toContain('stopped at its time budget with work left');
    const json = await mongock(['migrate', '--max-run-ms', '1', '--json'], { cwd: dir });
    expect(json.code).toBe(5);
    expect(parseJson(json)).toMatchObject({ ok: true, status: 'in-progress', items: [{ changeId: 'double-prices', outcome: 'in-progress' }] });

    const status = await mongock(['status'], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/double-prices .*pending in progress 16% \(4 \/ 25\), 2 batches, last key 4/);
    const statusJson = parseJson(await mongock(['status', '--json'], { cwd: dir }));
    expect((statusJson.units as Array<Record<string, unknown>>)[0]!.batch).toMatchObject({
      direction: 'execute',
      inProgress: true,
      batches: 2,
      processed: 4,
      estimatedTotal: 25,
      lastKey: '4',
    });
    expect((await mongock(['status', '--check'], { cwd: dir })).code).toBe(4);

    const doctor = await mongock(['doctor'], { cwd: dir });
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(doctor.stdout).toContain("[unfinished-batches] Batched unit 'double-prices' by 'data' is in progress: 16% (4 / 25), 2 batches, last key 4");
    expect(doctor.stdout).toContain('mongock migrate (resumes after the checkpoint');

    const finished = await mongock(['migrate'], { cwd: dir });
    expect(finished.code, finished.stderr + finished.stdout).toBe(0);
    const lines = finished.stdout.split('\n').filter((line) => line.startsWith('double-prices: batch'));
    // Resumed at batch 3 of 13: batch 10 and the last, 13, are printed; nothing else.
    expect(lines.map((line) => line.replace(/, [\d,]+\/s.*$/, ''))).toEqual([
      'double-prices: batch 10, 80% (20 / 25)',
      'double-prices: batch 13, 100% (25 / 25)',
    ]);
    expect(finished.stdout).toContain('executed double-prices');

    const db = new Database(join(dir, 'app.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT id, amount, touched FROM prices ORDER BY id').all() as Array<{ id: number; amount: number | null; touched: number }>;
      expect(rows.filter((row) => row.amount !== null).every((row) => row.touched === 1 && row.amount === row.id * 2)).toBe(true);
      expect(rows.filter((row) => row.amount === null).every((row) => row.touched === 0)).toBe(true);
    } finally {
      db.close();
    }
    const done = await mongock(['status'], { cwd: dir });
    expect(done.stdout).toMatch(/double-prices .*executed/);
    expect(done.stdout).not.toContain('in progress');
    expect((await mongock(['doctor'], { cwd: dir })).stdout).not.toContain('unfinished-batches');
  }, 120_000);
});
