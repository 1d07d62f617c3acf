import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Two small projects compiled by tsc, each with one decorator mode, run against the built package. */
describe.each(['standard', 'legacy'])('decorators compiled with %s decorators', (mode) => {
  const project = join(root, 'test', 'fixtures', `decorators-${mode}`);
  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'index.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', project], { cwd: root, stdio: 'inherit' });
  }, 120_000);

  const run = (...profiles: string[]) => JSON.parse(execFileSync('node', [join(project, 'out', 'run.js'), ...profiles], { cwd: root, encoding: 'utf8' }));

  it('runs ChangeUnits with before-steps, legacy ChangeSets and profiles', () => {
    expect(run()).toEqual({
      ran: ['before', 'execute', 'legacy-set', 'not-in-prod'],
      entries: [
        'create-users_before:BEFORE_EXECUTION:EXECUTED',
        'create-users:EXECUTION:EXECUTED',
        'legacy-set:EXECUTION:EXECUTED',
        'not-in-prod:EXECUTION:EXECUTED',
      ],
      executed: 4,
    });
    expect(run('dev', 'prod').ran).toEqual(['before', 'execute', 'dev-seed', 'legacy-set']);
  });
});
