import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, parseJson, tempProject } from '../cli/cli-harness.ts';
import { docFiles } from '../support/doc-files.ts';

describe('docs/multi-tenant.md examples', () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the config and the unit run through the CLI as the page says: ctx.tenant varies the unit per tenant', async () => {
    const files = docFiles('multi-tenant.md');
    expect(files.map((file) => file.name)).toEqual(['mongock.config.mjs', 'migrations/001_create_projects.mjs']);
    dir = tempProject(Object.fromEntries(files.map((file) => [file.name, file.text])));
    const run = await mongock(['migrate', '--all-tenants', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect((parseJson(run) as { summary: Record<string, number> }).summary).toMatchObject({ total: 2, completed: 2, failed: 0 });
    const quota = (id: string) => {
      const db = new Database(join(dir, `tenant-${id}.db`), { readonly: true });
      try {
        return db.prepare('SELECT name, quota FROM projects').all();
      } finally {
        db.close();
      }
    };
    expect(quota('acme')).toEqual([{ name: 'welcome', quota: 100 }]);
    expect(quota('globex')).toEqual([{ name: 'welcome', quota: 10 }]);
    const status = await mongock(['status', '--check', '--json'], { cwd: dir });
    expect(status.code).toBe(0);
    expect((parseJson(status) as { behind: string[] }).behind).toEqual([]);
  });
});
