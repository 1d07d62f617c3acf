import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when dist/cli.js is missing or older than a source file; one build at a time across test workers. */
export function ensureBuilt(): void {
  const fresh = () => existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(ROOT, 'src'));
  if (fresh()) return;
  const lock = join(tmpdir(), 'mongock-cli-test-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}; remove it if no build is running.`);
      spawnSync('sleep', ['0.5']);
    }
  }
  try {
    if (!fresh()) {
      const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment without the caller's MONGOCK_* and colour settings, so runs are reproducible. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('MONGOCK_') && key !== 'FORCE_COLOR' && key !== 'NO_COLOR') env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs the real binary as a child process (stdout and stderr are pipes, so not a TTY). */
export function mongock(args: readonly string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs the binary under a pseudo-terminal (`script` from util-linux) and returns what the
 * screen received, escape sequences included, and the exit code (`script -e`).
 */
export function mongockOnTty(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): CliRun {
  const command = [process.execPath, CLI, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: options.cwd,
    env: cleanEnv({ TERM: 'xterm-256color', ...options.env }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A temp project folder where `import ... from 'mongock'` resolves to this checkout. */
export function tempProject(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mongock-cli-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'mongock'), 'dir');
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
}

/** The single JSON document a `--json` run printed; fails when stdout holds anything else. */
export function parseJson(run: CliRun): Record<string, unknown> {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`stdout is not one JSON document (${(error as Error).message}):\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  }
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** Strips ANSI escapes and carriage-return redraws: what a person finally sees on each line. */
export function screenText(raw: string): string {
  return raw
    .split(/\r?\n/)
    .map((line) => {
      const redraws = line.split('\r');
      return redraws[redraws.length - 1]!;
    })
    .join('\n')
    .replace(ANSI, '');
}
