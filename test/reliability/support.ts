import { startScript, waitForOutput } from '../support/processes.ts';
import type { WorkerSpec } from './processes/worker-spec.ts';

export const WORKER = 'test/reliability/processes/worker.ts';

export function startWorker(spec: WorkerSpec) {
  return startScript(WORKER, [JSON.stringify(spec)]);
}

/** The worker's final JSON line. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

/** Milliseconds from the worker's `execute()` to its first unit starting (its `STARTED` line). */
export function firstStartMs(stdout: string): number {
  const match = /^STARTED \S+ (\d+)$/m.exec(stdout);
  if (match === null) throw new Error(`no unit started: ${stdout}`);
  return Number(match[1]);
}

export async function runWorker(spec: WorkerSpec) {
  return startWorker(spec).finished;
}

export { waitForOutput };

/** Units a crash test uses: five units of 10 effect rows. */
export function fiveUnits(transactional?: boolean) {
  return ['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => ({ id, ...(transactional === undefined ? {} : { transactional }) }));
}
