import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, mongock, ROOT, tempProject } from './cli-harness.ts';

beforeAll(() => ensureBuilt(), 240_000);

const COMMANDS = ['init', 'create', 'migrate', 'undo', 'status', 'doctor', 'mark', 'validate', 'unlock', 'dashboard'];

describe('--help', () => {
  it('every command has its own help, exit 0, with its flags and the common ones', async () => {
    const dir = tempProject();
    for (const command of COMMANDS) {
      const run = await mongock([command, '--help'], { cwd: dir });
      expect(run.code, command).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: mongock ${command}`));
      expect(run.stdout).toContain('--json');
      expect(run.stderr).toBe('');
    }
    expect((await mongock(['list', '-h'], { cwd: dir })).stdout).toMatch(/^Usage: mongock status/);
    expect((await mongock(['help', 'undo'], { cwd: dir })).stdout).toContain('--last <n>');
    expect((await mongock(['--version'], { cwd: dir })).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("README's CLI section is identical to the binary's help (scripts/cli-help.mjs --check)", () => {
    expect(() => execFileSync(process.execPath, [join(ROOT, 'scripts', 'cli-help.mjs'), '--check'], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  });
});
