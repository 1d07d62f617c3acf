/** Change unit files for the CLI tests: SQLite units whose effects can be counted, with failure and crash switches. */

export const TS_CONFIG = `import { defineConfig } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';

export default defineConfig({
  driver: sqliteDriver({ filename: 'app.db' }),
  migrationScanPath: './migrations',
  lockConfig: { acquiredForMs: 60_000, tryFrequencyMs: 100, quitTryingAfterMs: 2_000 },
});
`;

export const CREATE_USERS_TS = `import { ChangeUnit, Execution, RollbackExecution } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

@ChangeUnit({ id: 'create-users', order: '0001', author: 'dev' })
export class CreateUsers {
  @Execution()
  async execute({ sql }: SqliteChangeContext): Promise<void> {
    await sql.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  }

  @RollbackExecution()
  async rollback({ sql }: SqliteChangeContext): Promise<void> {
    await sql.exec('DROP TABLE users');
  }
}
`;

export const SEED_USERS_TS = `import { defineChangeUnit } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

export default defineChangeUnit<SqliteChangeContext>({
  id: 'seed-users',
  order: '0002',
  author: 'dev',
  async execute({ sql }) {
    if (process.env.CLI_TEST_CRASH === 'seed-users') process.kill(process.pid, 'SIGKILL');
    await sql.run("INSERT INTO users (name) VALUES ('ada'), ('grace')");
    if (process.env.CLI_TEST_FAIL === 'seed-users') throw new Error('seed-users failed on purpose');
  },
  async rollback({ sql }) {
    await sql.run("DELETE FROM users WHERE name IN ('ada', 'grace')");
  },
});
`;

export const ADD_EMAIL_TS = `import { ChangeUnit, Execution, RollbackExecution } from 'mongock';
import type { SqliteChangeContext } from 'mongock/sqlite';

@ChangeUnit({ id: 'add-email', order: '0003', author: 'dev' })
export class AddEmail {
  @Execution()
  async execute({ sql }: SqliteChangeContext): Promise<void> {
    await sql.exec('ALTER TABLE users ADD COLUMN email TEXT');
  }

  @RollbackExecution()
  async rollback({ sql }: SqliteChangeContext): Promise<void> {
    await sql.exec('ALTER TABLE users DROP COLUMN email');
  }
}
`;

export function sqliteProjectFiles(): Record<string, string> {
  return {
    'tsconfig.json': '{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "strict": true } }\n',
    'mongock.config.ts': TS_CONFIG,
    'migrations/0001_create-users.ts': CREATE_USERS_TS,
    'migrations/0002_seed-users.ts': SEED_USERS_TS,
    'migrations/0003_add-email.ts': ADD_EMAIL_TS,
  };
}
