import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { typeStripping } from '../../src/runtime/typescript-loader.ts';

// Whether Node strips TypeScript types itself decides whether tsx is needed at all (issue 9,
// point 5). It is decided by feature, so every case is checked through the facts it reads, and
// the running Node's answer is checked against what that Node really does with a .mts file.

describe('typeStripping: Node strips types itself', () => {
  const none = { execArgv: [], nodeOptions: undefined };

  it('reads process.features.typescript where Node reports it (22.10+)', () => {
    expect(typeStripping({ ...none, typescript: 'strip' })).toBe(true);
    expect(typeStripping({ ...none, typescript: 'transform' })).toBe(true);
    // Turned off (--no-experimental-strip-types): the flag's absence must not be read as "on".
    expect(typeStripping({ ...none, typescript: false })).toBe(false);
    expect(typeStripping({ typescript: false, execArgv: ['--experimental-strip-types'], nodeOptions: undefined })).toBe(false);
  });

  it('before 22.10 (no feature reported) only the flag turns it on, on the command line or in NODE_OPTIONS', () => {
    expect(typeStripping(none)).toBe(false);
    expect(typeStripping({ execArgv: ['--experimental-strip-types'], nodeOptions: undefined })).toBe(true);
    expect(typeStripping({ execArgv: ['--experimental-transform-types'], nodeOptions: undefined })).toBe(true);
    expect(typeStripping({ execArgv: [], nodeOptions: '--max-old-space-size=512  --experimental-strip-types' })).toBe(true);
    expect(typeStripping({ execArgv: ['--experimental-strip-types-not'], nodeOptions: '--import tsx' })).toBe(false);
  });

  it('the running Node: the answer agrees with whether this Node runs a .mts file with types', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mongock-strip-'));
    try {
      writeFileSync(join(dir, 'probe.mts'), 'const answer: number = 42;\nconsole.log(answer);\n');
      let runs: boolean;
      try {
        // Imported as the loader imports it: import() of the file's URL.
        const probe = `await import(${JSON.stringify(pathToFileURL(join(dir, 'probe.mts')).href)})`;
        runs =
          execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
            encoding: 'utf8',
            stdio: 'pipe',
            env: { ...process.env, NODE_OPTIONS: '' },
          }).trim() === '42';
      } catch (error) {
        expect(String((error as { stderr?: string }).stderr)).toMatch(/ERR_UNKNOWN_FILE_EXTENSION|Unknown file extension/);
        runs = false;
      }
      const facts = { typescript: (process.features as { typescript?: unknown }).typescript, execArgv: [], nodeOptions: '' };
      expect(typeStripping(facts)).toBe(runs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
