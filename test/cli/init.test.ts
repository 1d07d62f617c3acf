import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { ensureBuilt, mongock, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

/** `mongock init` in this process on a pretend terminal that types `answers`, one per question asked. */
async function initOnTerminal(cwd: string, answers: string[]): Promise<{ code: number; screen: string; asked: number }> {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  let screen = '';
  let asked = 0;
  const stream = (isTTY: boolean) => ({
    isTTY,
    columns: 100,
    write(text: string) {
      screen += text;
      if (/\]: $/.test(text)) {
        asked += 1;
        const answer = answers.shift();
        setImmediate(() => (answer === undefined ? stdin.end() : stdin.write(`${answer}\n`)));
      }
    },
  });
  const io: CliIo = { stdout: stream(true), stderr: stream(true), stdin, env: { NO_COLOR: '1' }, cwd, chdir: () => {} };
  const code = await runCli(['init'], io);
  return { code, screen, asked };
}

describe('mongock init', () => {
  it('on a terminal, re-asks after an answer that is not a driver, instead of failing on a flag never typed', async () => {
    const dir = tempProject({ 'package.json': '{ "type": "module" }' });
    const run = await initOnTerminal(dir, ['mysqll', 'mysql', 'db/migrations']);
    expect(run.code).toBe(0);
    expect(run.asked).toBe(3);
    expect(run.screen).toContain("'mysqll' is not one of sqlite, mongodb, postgres, mysql; try again.");
    expect(run.screen).not.toContain('--driver');
    expect(readFileSync(join(dir, 'mongock.config.mjs'), 'utf8')).toContain("import { mysqlDriver } from 'mongock/mysql';");
    expect(existsSync(join(dir, 'db', 'migrations'))).toBe(true);
  });

  it('says which client to install for the chosen driver, unless the project has it', async () => {
    const dir = tempProject({ 'package.json': '{ "type": "module" }' });
    const mysql = await mongock(['init', '--driver', 'mysql'], { cwd: dir });
    expect(mysql.code).toBe(0);
    expect(mysql.stdout + mysql.stderr).toContain('Install the mysql client: npm install mysql2');
    for (const [driver, client] of [
      ['postgres', 'pg'],
      ['mongodb', 'mongodb'],
    ]) {
      const other = tempProject({ 'package.json': '{}' });
      const run = await mongock(['init', '--driver', driver!], { cwd: other });
      expect(run.stdout + run.stderr).toContain(`npm install ${client}`);
    }
    // tempProject links this checkout as node_modules/mongock only; a project with the client installed hears nothing.
    const installed = tempProject({ 'package.json': '{}', 'node_modules/better-sqlite3/package.json': '{ "name": "better-sqlite3" }' });
    const sqlite = await mongock(['init', '--driver', 'sqlite'], { cwd: installed });
    expect(sqlite.code).toBe(0);
    expect(sqlite.stdout + sqlite.stderr).not.toContain('npm install');
  });

  it('in a TypeScript project without tsx (an optional peer), says to install it; with tsx, says nothing', async () => {
    const bare = tempProject({ 'tsconfig.json': '{}', 'node_modules/better-sqlite3/package.json': '{ "name": "better-sqlite3" }' });
    const run = await mongock(['init'], { cwd: bare });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).toContain('TypeScript config and units need tsx: npm install -D tsx');
    const withTsx = tempProject({
      'tsconfig.json': '{}',
      'node_modules/better-sqlite3/package.json': '{ "name": "better-sqlite3" }',
      'node_modules/tsx/package.json': '{ "name": "tsx" }',
    });
    const quiet = await mongock(['init'], { cwd: withTsx });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout + quiet.stderr).not.toContain('npm install');
  });

  it('refuses to write a second config next to one of another format, even with --force; --force replaces the same file', async () => {
    const dir = tempProject({ 'tsconfig.json': '{}' });
    expect((await mongock(['init'], { cwd: dir })).code).toBe(0);
    for (const args of [
      ['init', '--format', 'mjs'],
      ['init', '--format', 'mjs', '--force'],
    ]) {
      const run = await mongock(args, { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('mongock.config.ts already exists; a second config (mongock.config.mjs) next to it would be ambiguous');
      expect(existsSync(join(dir, 'mongock.config.mjs'))).toBe(false);
    }
    const same = await mongock(['init', '--force', '--driver', 'postgres'], { cwd: dir });
    expect(same.code).toBe(0);
    expect(readFileSync(join(dir, 'mongock.config.ts'), 'utf8')).toContain('postgresDriver');
  });
});
