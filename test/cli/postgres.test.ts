import { beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL } from '../support/servers.ts';
import { ensureBuilt, mongock, parseJson, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

const UNIT = (table: string) => `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: 'create-${table}', order: '001', author: 'cli',
  async execute(context) { await context.sql.query('CREATE TABLE ${table} (id serial primary key)'); },
  async rollback(context) { await context.sql.query('DROP TABLE ${table}'); },
});
`;

// Runs against the test PostgreSQL server (bash scripts/test-servers.sh up); fails loudly when it is down.
describe('the CLI against PostgreSQL (JSON config, driver by type)', () => {
  it('migrate, status and undo through a JSON config whose connection string comes from the environment', async () => {
    const suffix = `${process.pid}_${Date.now()}`;
    const table = `cli_users_${suffix}`;
    const dir = tempProject({
      'package.json': '{ "type": "module" }',
      'mongock.config.json': JSON.stringify({
        driver: { type: 'postgres', connectionString: '${PG_URL}' },
        migrationScanPath: './migrations',
        migrationRepositoryName: `cli_changelog_${suffix}`,
        lockRepositoryName: `cli_lock_${suffix}`,
      }),
      'migrations/001.js': UNIT(table),
    });
    const env = { PG_URL: POSTGRES_URL };
    const migrated = await mongock(['migrate', '--json', '--verbose'], { cwd: dir, env });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(parseJson(migrated)).toMatchObject({ ok: true, executed: 1 });
    expect(migrated.stderr + migrated.stdout).not.toContain(POSTGRES_URL);
    const status = parseJson(await mongock(['status', '--check', '--json'], { cwd: dir, env }));
    expect(status).toMatchObject({ ok: true, counts: { executed: 1, pending: 0 } });
    const undone = await mongock(['undo', '--last', '1', '--json'], { cwd: dir, env });
    expect(parseJson(undone)).toMatchObject({ ok: true, rolledBack: 1 });
  }, 60_000);
});
