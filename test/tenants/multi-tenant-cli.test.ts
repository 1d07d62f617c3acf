import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, mongockOnTty, parseJson, screenText, tempProject } from '../cli/cli-harness.ts';
import { serve } from '../dashboard/support/serve-dashboard.ts';

const CONFIG = `import { defineMultiTenantConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';

const ids = (process.env.TENANTS ?? 'acme,globex,initech').split(',');
export default defineMultiTenantConfig({
  migrationScanPath: './migrations',
  tenants: {
    list: async () => ids.map((id) => ({ id, plan: id === 'acme' ? 'pro' : 'basic' })),
    driver: (tenant) => sqliteDriver({ filename: \`tenants/\${tenant.id}.db\` }),
    concurrency: 2,
  },
});
`;

const unit = (n: number) => `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: 'u${n}',
  order: '00${n}',
  author: 'dev',
  async execute({ sql, tenant }) {
    if (${n} === 1) await sql.exec('CREATE TABLE markers (unit TEXT, tenant TEXT, plan TEXT)');
    if (process.env.FAIL_TENANT === tenant.id && ${n} === 2) throw new Error('u2 fails for ' + tenant.id);
    await sql.run('INSERT INTO markers VALUES (?, ?, ?)', 'u${n}', tenant.id, tenant.plan);
  },
  async rollback({ sql }) {
    await sql.run("DELETE FROM markers WHERE unit = 'u${n}'");
  },
});
`;

describe('mongock CLI on a multi-tenant config (SQLite files)', () => {
  let dir: string;
  beforeAll(() => ensureBuilt());
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const project = () => {
    dir = tempProject({
      'mongock.config.mjs': CONFIG,
      'migrations/001.mjs': unit(1),
      'migrations/002.mjs': unit(2),
      'migrations/003.mjs': unit(3),
      'tenants/.keep': '',
    });
    return dir;
  };
  const markers = (tenant: string) => {
    const db = new Database(join(dir, 'tenants', `${tenant}.db`), { readonly: true });
    try {
      return db.prepare('SELECT unit, tenant, plan FROM markers ORDER BY rowid').all();
    } finally {
      db.close();
    }
  };

  it('migrate needs --tenant or --all-tenants; --all-tenants --json reports per tenant; a failing tenant makes exit 1 and a rerun migrates only it', async () => {
    const cwd = project();
    const bare = await mongock(['migrate'], { cwd });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--tenant <id> (repeatable) or --all-tenants');

    const first = await mongock(['migrate', '--all-tenants', '--json'], { cwd, env: { FAIL_TENANT: 'globex' } });
    expect(first.code).toBe(1);
    const report = parseJson(first) as { ok: boolean; summary: Record<string, number>; tenants: Array<Record<string, unknown>> };
    expect(report.ok).toBe(false);
    expect(report.summary).toMatchObject({ total: 3, completed: 2, failed: 1 });
    expect(report.tenants.map((t) => [t.tenant, t.outcome, t.executed])).toEqual([
      ['acme', 'completed', 3],
      ['globex', 'failed', 1],
      ['initech', 'completed', 3],
    ]);
    expect(report.tenants[1]!.error).toMatchObject({ code: 'CHANGE_FAILED', changeId: 'u2', message: expect.stringContaining("Tenant 'globex'") });
    expect(markers('acme')).toEqual([
      { unit: 'u1', tenant: 'acme', plan: 'pro' },
      { unit: 'u2', tenant: 'acme', plan: 'pro' },
      { unit: 'u3', tenant: 'acme', plan: 'pro' },
    ]);

    const rerun = await mongock(['migrate', '--all-tenants', '--json'], { cwd });
    expect(rerun.code).toBe(0);
    expect((parseJson(rerun) as { tenants: Array<Record<string, unknown>> }).tenants.map((t) => [t.tenant, t.outcome])).toEqual([
      ['acme', 'up-to-date'],
      ['globex', 'completed'],
      ['initech', 'up-to-date'],
    ]);
    expect(markers('globex')).toHaveLength(3);
  });

  it('status shows the units × tenants matrix (--check exits 4 while a tenant is behind); one --tenant works exactly as a single database', async () => {
    const cwd = project();
    expect((await mongock(['migrate', '--tenant', 'acme', '--tenant', 'initech', '--quiet'], { cwd })).code).toBe(0);
    const status = await mongock(['status', '--check', '--json'], { cwd });
    expect(status.code).toBe(4);
    const matrix = parseJson(status) as { behind: string[]; matrix: Array<{ changeId: string; counts: Record<string, number>; notExecuted: string[] }> };
    expect(matrix.behind).toEqual(['globex']);
    expect(matrix.matrix.map((row) => [row.changeId, row.counts.executed, row.notExecuted])).toEqual([
      ['u1', 2, ['globex']],
      ['u2', 2, ['globex']],
      ['u3', 2, ['globex']],
    ]);
    const single = parseJson(await mongock(['status', '--tenant', 'globex', '--json'], { cwd })) as { units: Array<{ state: string }> };
    expect(single.units.map((u) => u.state)).toEqual(['pending', 'pending', 'pending']);
    const undo = await mongock(['undo', '--tenant', 'acme', '--last', '1', '--json'], { cwd });
    expect(undo.code).toBe(0);
    expect(markers('acme')).toHaveLength(2);
    expect(markers('initech')).toHaveLength(3);
    const unknown = await mongock(['migrate', '--tenant', 'nope'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'nope'");
  });

  it('a single-database command on a multi-tenant config asks for --tenant; doctor names tenants of the list; progress on a terminal counts tenants', async () => {
    const cwd = project();
    const unlock = await mongock(['unlock'], { cwd });
    expect(unlock.code).toBe(2);
    expect(unlock.stderr).toContain('name it with --tenant <id>');
    expect((await mongock(['unlock', '--tenant', 'acme'], { cwd })).code).toBe(0);
    const tty = mongockOnTty(['migrate', '--all-tenants'], { cwd, env: { TENANTS: 'a,b,c,d,e,f' } });
    expect(tty.code).toBe(0);
    const screen = screenText(tty.stdout);
    expect(screen).toContain('tenants 6/6 done');
    expect(tty.stdout).toMatch(/tenants [1-5]\/6 done, about .+ left/);
    expect(screen).toContain('Tenants: 6 migrated, 0 up to date, 0 failed, 0 skipped, of 6');
    const doctor = await mongock(['doctor', '--json'], { cwd, env: { TENANTS: 'a,b,c,d,e,f' } });
    expect(doctor.code).toBe(0);
    expect((parseJson(doctor) as { tenants: unknown[] }).tenants).toHaveLength(6);
    const behind = await mongock(['doctor', '--json'], { cwd, env: { TENANTS: 'a,b,c,d,e,f,g' } });
    expect((parseJson(behind) as { matrix: Array<{ changeId: string; notExecuted: string[] }> }).matrix.map((row) => [row.changeId, row.notExecuted])).toEqual([
      ['u1', ['g']],
      ['u2', ['g']],
      ['u3', ['g']],
    ]);
  });
});

describe('mongock dashboard on a multi-tenant config', () => {
  let dir: string;
  beforeAll(() => ensureBuilt());
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows one card per tenant, each its own database', async () => {
    dir = tempProject({ 'mongock.config.mjs': CONFIG, 'migrations/001.mjs': unit(1), 'migrations/002.mjs': unit(2), 'tenants/.keep': '' });
    expect((await mongock(['migrate', '--tenant', 'acme', '--quiet'], { cwd: dir })).code).toBe(0);
    const served = await serve(['--port', '0'], dir, {});
    try {
      const overview = (await (await fetch(`${served.url}api/overview`)).json()) as {
        databases: Array<{ name: string; state: string; counts: { executed: number } }>;
      };
      expect(overview.databases.map((db) => [db.name, db.state, db.counts.executed])).toEqual([
        ['acme', 'up-to-date', 2],
        ['globex', 'pending', 0],
        ['initech', 'pending', 0],
      ]);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });
});
