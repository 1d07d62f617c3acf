import { builtins } from '../runtime/builtins.ts';

/**
 * Who runs a lock holder, precisely enough to tell on the same host whether it is still alive:
 * its pid, plus the kernel's boot id and pid namespace (the same pid number means the same
 * process table only when both match: another host, a reboot or another container reads
 * differently) and the process's start time in clock ticks since boot (a pid reused by a new
 * process starts later). Linux only: elsewhere there is no identity and a holder's lease stands.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly bootId: string;
  readonly pidNamespace: string;
  readonly startTicks: string;
}

let cached: ProcessIdentity | null | undefined;

/** This process's identity; null where /proc does not say (not Linux). */
export function currentProcess(): ProcessIdentity | null {
  if (cached !== undefined) return cached;
  cached = readIdentity(process.pid);
  return cached;
}

/**
 * True only when `holder` ran on this host (same boot and pid namespace) and that process is gone:
 * no such pid, a zombie, or another process under the same pid. Anything uncertain is "not gone",
 * so a live holder is never taken over on a guess.
 */
export function isProcessGone(holder: ProcessIdentity): boolean {
  const self = currentProcess();
  if (self === null || holder.bootId !== self.bootId || holder.pidNamespace !== self.pidNamespace) return false;
  if (holder.pid === self.pid) return holder.startTicks !== self.startTicks;
  let stat: string;
  try {
    stat = builtins.fsSync().readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const fields = statFields(stat);
  if (fields === undefined) return false;
  return fields.state === 'Z' || fields.startTicks !== holder.startTicks;
}

/** Reads a stored identity back; undefined when the value is not one (old rows, hand edits). */
export function parseProcessIdentity(value: unknown): ProcessIdentity | undefined {
  const raw = typeof value === 'string' ? safeJson(value) : value;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { pid, bootId, pidNamespace, startTicks } = raw as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof bootId !== 'string' || typeof pidNamespace !== 'string' || typeof startTicks !== 'string') return undefined;
  return Object.freeze({ pid, bootId, pidNamespace, startTicks });
}

function readIdentity(pid: number): ProcessIdentity | null {
  try {
    const { readFileSync, readlinkSync } = builtins.fsSync();
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (fields === undefined || bootId === '') return null;
    return Object.freeze({ pid, bootId, pidNamespace, startTicks: fields.startTicks });
  } catch {
    return null;
  }
}

/** `/proc/<pid>/stat`: the command name is in parentheses and may hold spaces; state is the 3rd field, start time the 22nd. */
function statFields(stat: string): { state: string; startTicks: string } | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const startTicks = rest[19];
  if (state === undefined || startTicks === undefined) return undefined;
  return { state, startTicks };
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
