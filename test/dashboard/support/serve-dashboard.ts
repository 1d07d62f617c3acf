import { type ChildProcess, spawn } from 'node:child_process';
import { CLI, cleanEnv } from '../../cli/cli-harness.ts';

export interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  output(): { stdout: string; stderr: string };
  stop(): Promise<number | null>;
}

/** Starts `mongock dashboard ...` and waits for the line with its address. */
export function serve(args: readonly string[], cwd: string, env: Record<string, string>): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'dashboard', ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const closed = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mongock dashboard did not start:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const found = /Mongock dashboard: (\S+)/.exec(stdout);
      if (found === null) return;
      clearTimeout(timer);
      resolve({
        child,
        url: found[1]!,
        output: () => ({ stdout, stderr }),
        stop: () => {
          child.kill('SIGTERM');
          return closed;
        },
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    void closed.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mongock dashboard exited (${code}) before serving:\n${stdout}\n${stderr}`));
    });
  });
}
