import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const projectRoot = join(import.meta.dirname, '..', '..');

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Children still running: a test that fails before it reaps its children (a gate never opened, a
 * timeout) must not leave them waiting for a lock for the rest of the suite. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Starts a TypeScript script as a separate Node process (compiled on the fly by tsx). */
export function startScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { finished: Promise<Finished> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, script), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  running.add(child);
  const finished = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return Object.assign(child, { finished });
}

/** Resolves when the child has printed `text` on stdout. */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${text}'; got: ${seen}`)), timeoutMs);
    child.stdout!.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
