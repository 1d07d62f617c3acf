import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, tempProject } from '../cli/cli-harness.ts';
import { type DashboardDatabaseFixture, postgresFixture } from './support/dashboard-fixture.ts';
import { serve } from './support/serve-dashboard.ts';

// `mongock dashboard` as a real process on a PostgreSQL JSON config whose password comes from the
// environment: the safety rules at start-up, the token, --open, and nothing secret in its output.

const TOKEN = 'cli-token-0123456789abcdef';

const UNITS = {
  'migrations/0001_create-notes.mjs': `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({ id: 'create-notes', order: '0001', author: 'ada',
  async execute({ sql }) { await sql.query('SELECT 1'); },
  async rollback() {} });
`,
  'migrations/0002_break.mjs': `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({ id: 'break', order: '0002', author: 'ada',
  async execute() { throw new Error('cannot reach ' + process.env.PG_URL); },
  async rollback() {} });
`,
};

describe('mongock dashboard', () => {
  let fixture: DashboardDatabaseFixture;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    ensureBuilt();
    fixture = await postgresFixture();
    dir = tempProject({
      ...UNITS,
      'mongock.config.json': JSON.stringify({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a JSON config's ${NAME} reads the environment
        driver: { type: 'postgres', connectionString: '${PG_URL}', schema: fixture.schema },
        migrationScanPath: 'migrations',
      }),
      'browser.sh': '#!/bin/sh\necho "$1" > opened.txt\n',
    });
    chmodSync(join(dir, 'browser.sh'), 0o755);
    env = { PG_URL: fixture.connectionString! };
    const migrated = await mongock(['migrate'], { cwd: dir, env });
    expect(migrated.code).toBe(1);
  }, 240_000);

  afterAll(async () => {
    await fixture?.teardown();
  });

  it('refuses a non-loopback bind without a token, actions without a token and a bad port (exit 2, nothing served)', async () => {
    const open = await mongock(['dashboard', '--host', '0.0.0.0', '--port', '0'], { cwd: dir, env });
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('without a token');
    const actions = await mongock(['dashboard', '--port', '0', '--allow-actions'], { cwd: dir, env });
    expect(actions.code).toBe(2);
    expect(actions.stderr).toContain('need a token');
    const port = await mongock(['dashboard', '--port', 'eighty'], { cwd: dir, env });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a number');
  });

  it('serves beyond loopback with the token from MONGOCK_DASHBOARD_TOKEN, opens the browser, stops on SIGTERM, and never prints the password', async () => {
    const served = await serve(['--host', '0.0.0.0', '--port', '0', '--open'], dir, {
      ...env,
      MONGOCK_DASHBOARD_TOKEN: TOKEN,
      BROWSER: join(dir, 'browser.sh'),
    });
    const local = served.url.replace('0.0.0.0', '127.0.0.1');
    try {
      expect((await fetch(`${local}api/overview`)).status).toBe(401);
      const overview = await fetch(`${local}api/overview`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(overview.status).toBe(200);
      const body = await overview.text();
      expect(JSON.parse(body).databases[0]).toMatchObject({ name: 'postgres', state: 'failed', counts: { executed: 1, failed: 1 } });
      const database = await (await fetch(`${local}api/databases/postgres`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
      expect(database).toContain('cannot reach postgres://');
      expect(database).not.toContain(fixture.password!);
      expect(body).not.toContain(fixture.password!);
      for (let i = 0; i < 50 && !existsSync(join(dir, 'opened.txt')); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(readFileSync(join(dir, 'opened.txt'), 'utf8').trim()).toBe(served.url);
    } finally {
      expect(await served.stop()).toBe(0);
    }
    const { stdout, stderr } = served.output();
    expect(stdout).toContain('Token required');
    expect(`${stdout}${stderr}`).not.toContain(fixture.password!);
    expect(`${stdout}${stderr}`).not.toContain(TOKEN);
  });
});

describe('mongock dashboard --database, several configs at once', () => {
  const unit = `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({ id: 'create-notes', order: '0001', author: 'ada', async execute() {}, async rollback() {} });
`;
  const config = JSON.stringify({ driver: { type: 'sqlite', filename: 'app.db' }, migrationScanPath: 'migrations' });
  let dir: string;

  beforeAll(async () => {
    ensureBuilt();
    // Two folders, each with its own relative SQLite file: each must be read from its own folder.
    dir = tempProject({
      'eu/mongock.config.json': config,
      'eu/migrations/0001_create-notes.mjs': unit,
      'us/mongock.config.json': config,
      'us/migrations/0001_create-notes.mjs': unit,
    });
    expect((await mongock(['migrate', '--config', 'eu/mongock.config.json'], { cwd: dir })).code).toBe(0);
  }, 240_000);

  it('shows one card per named config, each read from its own folder', async () => {
    const served = await serve(['--port', '0', '--database', 'eu=eu/mongock.config.json', '--database', 'us=us/mongock.config.json'], dir, {});
    try {
      const overview = (await (await fetch(`${served.url}api/overview`)).json()) as {
        databases: Array<{ name: string; state: string; counts: { executed: number } }>;
      };
      expect(overview.databases.map((db) => [db.name, db.state, db.counts.executed])).toEqual([
        ['eu', 'up-to-date', 1],
        ['us', 'pending', 0],
      ]);
    } finally {
      expect(await served.stop()).toBe(0);
    }
    expect(existsSync(join(dir, 'eu', 'app.db'))).toBe(true);
  });

  it('refuses a malformed --database, a duplicate name and --config beside --database (exit 2)', async () => {
    const malformed = await mongock(['dashboard', '--port', '0', '--database', 'eu/mongock.config.json'], { cwd: dir });
    expect([malformed.code, malformed.stderr]).toEqual([2, expect.stringContaining('--database takes <name>=<config file>')]);
    const duplicate = await mongock(['dashboard', '--port', '0', '--database', 'a=eu/mongock.config.json', '--database', 'a=us/mongock.config.json'], {
      cwd: dir,
    });
    expect([duplicate.code, duplicate.stderr]).toEqual([2, expect.stringContaining("name 'a' must be unique")]);
    const both = await mongock(['dashboard', '--port', '0', '--config', 'eu/mongock.config.json', '--database', 'us=us/mongock.config.json'], { cwd: dir });
    expect([both.code, both.stderr]).toEqual([2, expect.stringContaining('--config and --database do not go together')]);
  });
});
