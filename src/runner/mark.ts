import type { SelectedUnit } from '../change/select-change-units.ts';
import type { DriverConnection, InProgressChange, LockHolder } from '../drivers/driver.ts';
import { isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { entryKey, latestEntries } from '../history/is-executed.ts';
import { MANUAL_EXECUTION_PREFIX, manualEntry } from '../history/manual-resolution.ts';
import type { LockManager } from '../lock/lock-manager.ts';
import { builtins } from '../runtime/builtins.ts';
import type { MarkOptions, MarkResult } from './mark-options.ts';
import { type MarkPlan, planMarks } from './mark-plan.ts';
import { NOT_NEEDED, type Operation } from './operation.ts';
import type { ResolvedConfig } from './resolve-config.ts';

// The public types' home for src/index.ts, which names this file.
export type { MarkedItem, MarkOptions, MarkResult } from './mark-options.ts';

/** Runs `work` under the lock, trying once (a live runner is never waited for), and releases it. */
export type WithLockOnce = <T>(work: (lock: LockManager, interrupted: InProgressChange | null) => Promise<T>) => Promise<T>;

/** What `mark` needs from the runner for one connection. */
export interface MarkContext {
  readonly config: ResolvedConfig;
  readonly units: readonly SelectedUnit[];
  readonly connection: DriverConnection<object>;
  readonly withLockOnce: WithLockOnce;
  readonly hostname: string;
  readonly transactional: boolean;
}

/** The mark's context on an open connection of `operation`: its lock is tried once, never waited for. */
export function markContext(operation: Operation, config: ResolvedConfig, units: readonly SelectedUnit[], connection: DriverConnection<object>): MarkContext {
  const withLockOnce: WithLockOnce = async (work) => {
    const done = await operation.withLock(connection, (held) => work(held.lock, held.interrupted), { noWait: true, recoversInterrupted: true });
    if (done === NOT_NEEDED) throw new Error('unreachable: mark asks no stillNeeded');
    return done;
  };
  return { config, units, connection, withLockOnce, hostname: operation.hostname(), transactional: operation.transactional(connection) };
}

/** Runs a mark on an open connection: plan, lock (no waiting), plan again, write, release. */
export async function runMark(context: MarkContext, options: MarkOptions): Promise<MarkResult> {
  const { connection } = context;
  const by = options.by ?? operatorName();
  const reason = options.reason ?? null;
  const executionId = `${MANUAL_EXECUTION_PREFIX}${new Date().toISOString()}-${Math.floor(Math.random() * 999)}`;
  const result = (plan: MarkPlan, at: Date | null, dryRun: boolean): MarkResult => ({
    executionId,
    resolution: options.resolution,
    dryRun,
    by,
    reason,
    at,
    marked: plan.targets.map(({ item, previousState }) => ({
      changeId: item.changeId,
      author: item.unit.author,
      type: item.type,
      previousState,
      state: options.resolution === 'applied' ? 'EXECUTED' : 'ROLLED_BACK',
    })),
    unchanged: plan.unchanged,
  });
  if (options.dryRun === true) {
    const holder = await connection.lock.inspect();
    return result(planMarks(context.units, await connection.readHistory(), holder?.inProgress ?? null, options), null, true);
  }
  const first = planMarks(context.units, await connection.readHistory(), (await connection.lock.inspect())?.inProgress ?? null, options);
  if (first.targets.length === 0) return result(first, null, false);
  return withLockOrForce(context, options, first, async (lock, interrupted) => {
    const history = await connection.readHistory();
    const plan = planMarks(context.units, history, interrupted, options);
    if (plan.targets.length === 0) return result(plan, null, false);
    await connection.prepareHistory();
    const now = (await connection.now?.()) ?? new Date();
    const latest = latestEntries(history);
    const metadata = context.config.metadata;
    const entries = plan.targets.map(({ item, previousState }) =>
      manualEntry({
        executionId,
        changeId: item.changeId,
        author: item.unit.author,
        type: item.type,
        timestamp: after(now, latest.get(entryKey(item.changeId, item.unit.author))),
        changeLogClass: item.unit.model.className,
        changeSetMethod: item.step.name,
        hostname: context.hostname,
        metadata,
        resolution: { manual: true, resolution: options.resolution, by, reason, previousState },
        checksum: options.resolution === 'applied' ? item.checksum : null,
      }),
    );
    await connection.runInScope({ transactional: context.transactional, lease: lock.lease, guard: lock }, async (scope) => {
      for (const entry of entries) await scope.saveEntry(entry);
    });
    if (interrupted !== null && plan.targets.some(({ previousState }) => previousState === 'interrupted')) await lock.markInProgress(null);
    await lock.ensure();
    for (const entry of entries)
      context.config.logger.info(`Marked '${entry.changeId}' by '${entry.author}' ${entry.state} by hand (${by}${reason === null ? '' : `: ${reason}`}).`);
    return result(plan, entries[0]!.timestamp, false);
  });
}

/**
 * Takes the lock without waiting. A live holder refuses the mark (it may be running that very
 * unit); with `force`, a lease whose holder is known to be gone is cleared first, unless it
 * carries the crash marker of a unit this mark does not resolve.
 */
async function withLockOrForce<T>(
  context: MarkContext,
  options: MarkOptions,
  plan: MarkPlan,
  work: (lock: LockManager, interrupted: InProgressChange | null) => Promise<T>,
): Promise<T> {
  try {
    return await context.withLockOnce(work);
  } catch (error) {
    if (!isMongockError(error, 'LOCK_NOT_ACQUIRED')) throw error;
    const holder = await context.connection.lock.inspect();
    if (options.force !== true || holder === null) throw refused(holder, error);
    if (holder.expiresAt === null) throw refused(holder, error, 'a session lock belongs to a live database session and is never taken by force');
    const marker = holder.inProgress;
    if (marker !== null && !plan.targets.some(({ item }) => item.changeId === marker.changeId && item.unit.author === marker.author)) {
      throw refused(holder, error, `its crash marker names '${marker.changeId}', which this mark does not resolve; mark that one first`);
    }
    context.config.logger.warn(`Clearing the lock held by ${holder.owner} on ${holder.hostname} (--force).`);
    await context.connection.lock.forceRelease();
    // forceRelease cleared the marker: keep what it said about the unit being marked.
    return context.withLockOnce((lock, interrupted) => work(lock, interrupted ?? marker));
  }
}

function refused(holder: LockHolder | null, cause: unknown, why?: string): MongockError {
  const who = holder === null ? 'another runner' : `${holder.owner} on ${holder.hostname}`;
  const force =
    why === undefined
      ? ' If that process is gone (a lease that has not run out yet), add --force (runner.mark({ force: true })).'
      : ` --force refused: ${why}.`;
  return new MongockError(
    'LOCK_NOT_ACQUIRED',
    `The Mongock lock is held by ${who}, which may be running the very unit being marked; nothing was marked. Wait for it to finish and check \`mongock doctor\`.${force}`,
    { cause },
  );
}

/** Strictly after the newest entry of the same step, so that the mark decides even if that entry's clock ran ahead. */
function after(now: Date, previous: ChangeEntry | undefined): Date {
  if (previous === undefined || previous.timestamp.getTime() < now.getTime()) return now;
  return new Date(previous.timestamp.getTime() + 1);
}

/** The OS user running the process; `USER`/`USERNAME` when the OS cannot say. */
export function operatorName(): string {
  try {
    const name = builtins.os().userInfo().username;
    if (name !== '') return name;
  } catch {
    // no passwd entry (some containers)
  }
  return process.env.USER ?? process.env.USERNAME ?? 'unknown';
}
