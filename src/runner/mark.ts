import type { SelectedUnit } from '../change/select-change-units.ts';
import type { DriverConnection, InProgressChange, LockHolder } from '../drivers/driver.ts';
import { isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry, ChangeState, ChangeType } from '../history/change-entry.ts';
import { entryKey, latestEntries } from '../history/is-executed.ts';
import { MANUAL_EXECUTION_PREFIX, type ManualResolution, manualEntry, type Resolution } from '../history/manual-resolution.ts';
import type { LockManager } from '../lock/lock-manager.ts';
import { builtins } from '../runtime/builtins.ts';
import { type PlanItem, planUnits, type UnitPlan } from './plan.ts';
import type { ResolvedConfig } from './resolve-config.ts';

/**
 * `runner.mark(...)`: a human records what really happened to a unit the runner cannot judge (a
 * failed non-transactional change finished by hand; a change applied by a script before this tool
 * was adopted). Give `changeId` (a unit, or one of its steps `<id>_before` / `<id>_after`) or
 * `allPending` (Liquibase's changelog-sync: only with `resolution: 'applied'`).
 */
export interface MarkOptions {
  readonly changeId?: string;
  readonly allPending?: boolean;
  /** Needed only when several units share the id. */
  readonly author?: string;
  readonly resolution: Resolution;
  readonly reason?: string;
  /** Who decided; default: the OS user running the process. */
  readonly by?: string;
  /**
   * Take a lease lock (MongoDB, SQLite) whose holder is known to be gone before its lease ran
   * out, as `unlock --force` does. A session lock (PostgreSQL, MySQL) belongs to a live session
   * and is never taken: `mark` is refused until that session ends.
   */
  readonly force?: boolean;
  /** List what would be marked; take no lock, write nothing. */
  readonly dryRun?: boolean;
}

export interface MarkedItem {
  readonly changeId: string;
  readonly author: string;
  readonly type: ChangeType;
  readonly previousState: ManualResolution['previousState'];
  readonly state: Extract<ChangeState, 'EXECUTED' | 'ROLLED_BACK'>;
}

export interface MarkResult {
  readonly executionId: string;
  readonly resolution: Resolution;
  readonly dryRun: boolean;
  readonly by: string;
  readonly reason: string | null;
  /** Database time the entries carry; null on a dry run. */
  readonly at: Date | null;
  readonly marked: readonly MarkedItem[];
  /** Items that already say what was asked, with why nothing was written for them. */
  readonly unchanged: readonly { readonly changeId: string; readonly author: string; readonly why: string }[];
}

/** A {@link MarkResult} as JSON (`mongock mark --json`, the dashboard's mark answer): the time as an ISO string. */
export function markResultJson(result: MarkResult) {
  return {
    executionId: result.executionId,
    resolution: result.resolution,
    by: result.by,
    reason: result.reason,
    at: result.at?.toISOString() ?? null,
    marked: result.marked,
    unchanged: result.unchanged,
  };
}

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

interface Target {
  readonly item: PlanItem;
  readonly previousState: ManualResolution['previousState'];
}

interface MarkPlan {
  readonly targets: readonly Target[];
  readonly unchanged: MarkResult['unchanged'];
}

/** Validates the options (INVALID_CONFIG) before anything is opened. */
export function checkMarkOptions(options: MarkOptions): void {
  const problems: string[] = [];
  if (options.resolution !== 'applied' && options.resolution !== 'rolled-back') problems.push("'resolution' must be 'applied' or 'rolled-back'.");
  if ((options.changeId === undefined) === (options.allPending !== true)) problems.push("Give exactly one of 'changeId' or 'allPending: true'.");
  if (options.allPending === true && options.resolution === 'rolled-back')
    problems.push("'allPending' marks pending units as applied (changelog-sync); it cannot be combined with 'rolled-back'.");
  for (const key of ['changeId', 'author', 'reason', 'by'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) problems.push(`'${key}' must be a non-empty string.`);
  }
  if (problems.length > 0) throw new MongockError('INVALID_CONFIG', `Invalid mark options: ${problems.join(' ')}`, { problems, changeId: options.changeId });
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

/** Which items the mark writes, and which already say what was asked. */
export function planMarks(
  units: readonly SelectedUnit[],
  history: readonly ChangeEntry[],
  interrupted: InProgressChange | null,
  options: MarkOptions,
): MarkPlan {
  const plans = planUnits(units, history);
  const latest = latestEntries(history);
  const items = options.allPending === true ? plans.flatMap((plan) => plan.items) : itemsFor(plans, options);
  const targets: Target[] = [];
  const unchanged: { changeId: string; author: string; why: string }[] = [];
  for (const item of items) {
    const isInterrupted = interrupted !== null && interrupted.changeId === item.changeId && interrupted.author === item.unit.author;
    const previousState = isInterrupted ? 'interrupted' : (latest.get(entryKey(item.changeId, item.unit.author))?.state ?? 'pending');
    const why = unchangedReason(item, previousState, options.resolution);
    if (why === undefined) targets.push({ item, previousState });
    else if (options.allPending !== true) unchanged.push({ changeId: item.changeId, author: item.unit.author, why });
  }
  return { targets, unchanged };
}

function unchangedReason(item: PlanItem, previous: Target['previousState'], resolution: Resolution): string | undefined {
  if (previous === 'interrupted') return undefined;
  if (resolution === 'applied') return item.executed ? 'already executed' : undefined;
  if (item.executed) return undefined;
  return previous === 'FAILED' || previous === 'ROLLBACK_FAILED'
    ? undefined
    : previous === 'pending'
      ? 'never ran; nothing to roll back'
      : 'already rolled back';
}

function itemsFor(plans: readonly UnitPlan[], options: MarkOptions): readonly PlanItem[] {
  const id = options.changeId!;
  const byAuthor = (plan: UnitPlan) => options.author === undefined || plan.unit.author === options.author;
  const units = plans.filter((plan) => plan.unit.model.id === id && byAuthor(plan));
  const steps = plans.flatMap((plan) => plan.items.filter((item) => item.changeId === id && item.role !== 'execution' && byAuthor(plan)));
  const found = units.length > 0 ? units : [];
  if (found.length > 1) {
    throw new MongockError(
      'INVALID_CONFIG',
      `Several change units have the id '${id}' (authors ${found.map((plan) => `'${plan.unit.author}'`).join(', ')}); say which with --author.`,
      { changeId: id },
    );
  }
  if (found.length === 1) return found[0]!.items;
  if (steps.length === 1) return steps;
  throw new MongockError(
    'INVALID_CONFIG',
    `No change unit${options.author === undefined ? '' : ` by '${options.author}'`} with id '${id}' takes part in this run, so it cannot be marked. Check the id and the active profiles (\`mongock status\`).`,
    { changeId: id },
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
