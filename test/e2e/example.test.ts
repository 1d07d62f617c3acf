import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/processes.ts';

describe('the README promises', () => {
  it('`npm run example` applies the example migrations once, then nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mongock-example-'));
    try {
      const run = () =>
        execFileSync('npm', ['run', '--silent', 'example'], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, EXAMPLE_DB: join(dir, 'app.db') } });
      const first = run();
      expect(first).toContain('applied create-clients_before (before-step');
      expect(first).toContain('applied activate-clients (execution');
      expect(first).toContain('status: completed; create-clients=executed, index-client-names=executed, activate-clients=executed');
      const second = run();
      expect(second).toContain('Nothing to apply: the database is up to date.');
      expect(second).not.toContain('applied ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('code blocks marked with a file in README.md match that file', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```/g)];
    expect(blocks.length).toBeGreaterThan(0);
    for (const [, file, body] of blocks) expect(body, file).toBe(readFileSync(join(projectRoot, file!), 'utf8'));
  });

  it('.ci/run calls the test command the README gives', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const ci = readFileSync(join(projectRoot, '.ci', 'run'), 'utf8');
    const testCommand = /<!-- test-command -->\n```sh\n(.+)\n```/.exec(readme)?.[1];
    expect(testCommand).toBeDefined();
    expect(ci).toContain(testCommand);
  });
});
