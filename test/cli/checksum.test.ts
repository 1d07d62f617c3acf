import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryDriver } from '../../src/drivers/index.ts';
import { createRunner, silentLogger } from '../../src/index.ts';
import { ensureBuilt, mongock, parseJson, tempProject, writeFiles } from './cli-harness.ts';
import { CREATE_USERS_TS, sqliteProjectFiles } from './fixtures.ts';

/** The checksum Mongock computes for the single unit of a file, loaded as the CLI loads it. */
/** The canonical part of the recorded checksum (`<canonical>.<raw>`): the part that decides. */
async function checksumOf(file: string): Promise<string> {
  const status = await createRunner({ driver: memoryDriver(), migrationScanPath: file, logger: silentLogger }).status();
  expect(status.units).toHaveLength(1);
  expect(status.units[0]!.checksum).toMatch(/^[0-9a-f]{16}\.[0-9a-f]{16}$/);
  return status.units[0]!.checksum.split('.')[0]!;
}

// The same unit after a formatter had its way: indentation, line breaks, comments, quote style,
// trailing commas, semicolons, parentheses around arrow parameters and mixed operators.
const REFORMATTED_TS = `import {ChangeUnit, Execution, RollbackExecution} from "mongock"
import type {SqliteChangeContext} from "mongock/sqlite"

/** Creates the users table. */
@ChangeUnit({id: "create-users", order: "0001", author: "dev"})
export class CreateUsers {
    @Execution()
    async execute(
        { sql }: SqliteChangeContext,   // the handle
    ): Promise<void> {
        /* one statement */
        await sql.exec(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        )
    }

    @RollbackExecution()
    async rollback({sql}: SqliteChangeContext): Promise<void> { await sql.exec("DROP TABLE users") }
}
`;

const LOGIC_CHANGED_TS = CREATE_USERS_TS.replace('name TEXT NOT NULL', 'name TEXT');
const ROLLBACK_CHANGED_TS = CREATE_USERS_TS.replace("'DROP TABLE users'", "'DROP TABLE IF EXISTS users'");

const DEFINE_JS = `import { defineChangeUnit } from 'mongock';
export default defineChangeUnit({
  id: 'js-unit', order: '1', author: 'dev',
  async execute({ sql }) {
    const names = ['ada', 'grace'].map((name) => name.toUpperCase());
    if (names.length > 1 && names[0] !== 'x' || names.length === 0) await sql.run('INSERT INTO t VALUES (?)', names.join(','));
  },
  async rollback() {},
});
`;
const DEFINE_JS_REFORMATTED = `import {defineChangeUnit} from "mongock"

export default defineChangeUnit({
    id: "js-unit",
    order: "1",
    author: "dev",
    // Prettier adds parentheses around mixed operators and arrow parameters.
    async execute({sql}) {
        const names = [
            "ada",
            "grace",
        ].map(name => name.toUpperCase())
        if ((names.length > 1 && names[0] !== "x") || names.length === 0)
            await sql.run("INSERT INTO t VALUES (?)", names.join(","))
    },
    async rollback() {},
})
`;

describe('what the checksum hashes', () => {
  it('a reformatted TypeScript unit keeps its checksum; a logic change does not; its rollback does not count', async () => {
    const dir = tempProject({ 'a.ts': CREATE_USERS_TS, 'b.ts': REFORMATTED_TS, 'c.ts': LOGIC_CHANGED_TS, 'd.ts': ROLLBACK_CHANGED_TS });
    const original = await checksumOf(join(dir, 'a.ts'));
    expect(original).toMatch(/^[0-9a-f]{16}$/);
    expect(await checksumOf(join(dir, 'b.ts'))).toBe(original);
    expect(await checksumOf(join(dir, 'c.ts'))).not.toBe(original);
    expect(await checksumOf(join(dir, 'd.ts'))).toBe(original);
  });

  it('a reformatted JavaScript unit (prettier-style) keeps its checksum; changing a literal changes it', async () => {
    const dir = tempProject({
      'package.json': '{ "type": "module" }',
      'a.js': DEFINE_JS,
      'b.js': DEFINE_JS_REFORMATTED,
      'c.js': DEFINE_JS.replace("'grace'", "'linus'"),
    });
    const original = await checksumOf(join(dir, 'a.js'));
    expect(await checksumOf(join(dir, 'b.js'))).toBe(original);
    expect(await checksumOf(join(dir, 'c.js'))).not.toBe(original);
  });

  it('the same TypeScript unit hashes alike whether tsx compiled it on the fly or tsc compiled it ahead of time', async () => {
    const compiled = ts.transpileModule(CREATE_USERS_TS, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, experimentalDecorators: false },
    }).outputText;
    const dir = tempProject({ 'src/unit.ts': CREATE_USERS_TS, 'dist/package.json': '{ "type": "module" }', 'dist/unit.js': compiled });
    expect(compiled).not.toBe(CREATE_USERS_TS);
    expect(await checksumOf(join(dir, 'dist', 'unit.js'))).toBe(await checksumOf(join(dir, 'src', 'unit.ts')));
  });
});

describe('checksums through the CLI', () => {
  beforeAll(() => ensureBuilt(), 240_000);

  it('status/validate report a changed unit, migrate warns or refuses (onChecksumMismatch), validate --accept records it', async () => {
    const dir = tempProject(sqliteProjectFiles());
    const unitFile = join(dir, 'migrations', '0001_create-users.ts');
    expect((await mongock(['migrate'], { cwd: dir })).code).toBe(0);

    writeFileSync(unitFile, REFORMATTED_TS);
    const reformatted = parseJson(await mongock(['status', '--json'], { cwd: dir }));
    expect(reformatted.counts).toMatchObject({ changed: 0 });
    expect((await mongock(['validate', '--db'], { cwd: dir })).code).toBe(0);

    writeFileSync(unitFile, LOGIC_CHANGED_TS);
    const status = parseJson(await mongock(['status', '--json'], { cwd: dir }));
    expect(status.counts).toMatchObject({ changed: 1 });
    expect(status.units).toContainEqual(expect.objectContaining({ changeId: 'create-users', changed: true, state: 'executed' }));
    const human = await mongock(['status'], { cwd: dir });
    expect(human.stdout).toMatch(/create-users\s+dev\s+executed \(changed\)/);
    expect(human.stderr).toContain('mongock validate --accept create-users');

    const offline = parseJson(await mongock(['validate', '--json'], { cwd: dir }));
    expect(offline).toMatchObject({ ok: true, checksums: { compared: false } });
    const validate = await mongock(['validate', '--db', '--json'], { cwd: dir });
    expect(validate.code).toBe(1);
    expect(parseJson(validate)).toMatchObject({ ok: false, checksums: { compared: true, changed: [expect.objectContaining({ changeId: 'create-users' })] } });

    writeFiles(dir, {
      'migrations/0004_more.ts': CREATE_USERS_TS.replace(/create-users/g, 'more')
        .replace("'0001'", "'0004'")
        .replace(/users/g, 'more')
        .replace('CreateUsers', 'More'),
    });
    const warned = await mongock(['migrate', '--json'], { cwd: dir });
    expect(warned.code).toBe(0);
    expect(parseJson(warned)).toMatchObject({ ok: true, executed: 1 });
    expect(warned.stderr).toContain("'create-users' by 'dev'");
    expect(warned.stderr).toContain('changed since it ran');

    writeFiles(dir, {
      'migrations/0005_more.ts': CREATE_USERS_TS.replace(/create-users/g, 'again')
        .replace("'0001'", "'0005'")
        .replace(/users/g, 'again')
        .replace('CreateUsers', 'Again'),
    });
    const refused = await mongock(['migrate', '--json'], { cwd: dir, env: { MONGOCK_ON_CHECKSUM_MISMATCH: 'fail' } });
    expect(refused.code).toBe(1);
    const error = parseJson(refused).error as { code: string; message: string; file: string };
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toContain("'create-users'");
    expect(error.message).toContain('0001_create-users.ts');
    expect(parseJson(await mongock(['status', '--json'], { cwd: dir })).counts).toMatchObject({ pending: 1 });

    const accepted = await mongock(['validate', '--accept', 'create-users', '--json'], { cwd: dir });
    expect(accepted.code).toBe(0);
    expect(parseJson(accepted)).toMatchObject({ ok: true, accepted: [expect.objectContaining({ changeId: 'create-users', author: 'dev' })] });
    const after = parseJson(await mongock(['status', '--json'], { cwd: dir }));
    expect(after.counts).toMatchObject({ changed: 0 });
    expect(after.units).toContainEqual(
      expect.objectContaining({
        changeId: 'create-users',
        state: 'executed',
        executedAt: (status.units as { changeId: string; executedAt: string }[])[0]!.executedAt,
      }),
    );
    const unknown = await mongock(['validate', '--accept', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect((await mongock(['migrate'], { cwd: dir, env: { MONGOCK_ON_CHECKSUM_MISMATCH: 'fail' } })).code).toBe(0);
  }, 120_000);
});
