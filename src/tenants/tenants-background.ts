import type { MongockError } from '../errors/mongock-error.ts';
import type { Logger } from '../log/logger.ts';
import type { BackgroundOptions } from '../runner/background.ts';
import type { MigrationResult } from '../runner/migration-result.ts';
import type { MongockRunner } from '../runner/mongock-runner.ts';
import { outcomeOf, type TenantResult } from './tenant-result.ts';

/**
 * Where one tenant is in a background run: `pending` (not reached yet), `running` (a slice works
 * on it), `waiting` (its start-up part is done, batched work left for its turn), `finished` (see
 * `result.status`), `skipped` (another process held its lock: with `whenLocked: 'skip'`, the
 * default, that process migrates it; `result.status` is `lock-not-acquired`), `stopped` (the run
 * was stopped with its work left; the next start resumes) or `failed` (see `error`; or, with no
 * `error`, a unit with `failFast: false` failed: `result.failed`, as `execute()` reports the
 * tenant failed; its batched work left waits for the next start).
 */
export type TenantBackgroundState = 'pending' | 'running' | 'waiting' | 'finished' | 'skipped' | 'stopped' | 'failed';

/** One tenant of a background run. */
export interface TenantInBackground {
  readonly tenant: string;
  readonly state: TenantBackgroundState;
  /** The tenant's last slice result (`in-progress` while it waits or once stopped). */
  readonly result?: MigrationResult;
  readonly error?: MongockError;
}

/** What `MultiTenantRunner.executeInBackground()` returns. */
export interface MultiTenantBackground {
  /**
   * Settles once every tenant's start-up part is done, one tenant after the other: its units
   * ordered before its first batched one applied and that unit's first batch committed (or the
   * tenant finished, or failed). Rejects only when the tenants cannot be listed.
   */
  readonly ready: Promise<void>;
  /** Every tenant's end state, once the background work is over or stopped. Rejects as `ready` does. */
  readonly done: Promise<readonly TenantInBackground[]>;
  /** Each tenant's state now, in list order (empty until the tenants are listed). */
  tenants(): readonly TenantInBackground[];
  /** Stops at the next batch boundary (checkpoint saved, lock released), starts no other tenant, and waits; never rejects. */
  stop(): Promise<void>;
}

/** What {@link tenantsInBackground} needs of the multi-tenant runner. */
export interface TenantsBackgroundTools {
  readonly tenantIds: () => Promise<readonly string[]>;
  readonly runnerFor: (tenant: string) => MongockRunner;
  readonly logger: Logger;
  readonly options: BackgroundOptions;
  /** Once this many tenants failed, no other tenant is started and those waiting are `stopped` (as `execute()` skips them). */
  readonly stopAfterFailures: number;
  /** `tenant-started` when a tenant's first slice starts; `tenant-finished` when it reaches its end state, as `execute()` emits them. */
  readonly started: (tenant: string, index: number, total: number) => void;
  readonly finished: (result: TenantResult, done: number, total: number) => void;
}

interface Slot {
  tenant: string;
  state: TenantBackgroundState;
  result?: MigrationResult;
  error?: MongockError;
  /** Units executed over the tenant's slices, and when its first slice began. */
  executed: number;
  began?: number;
}

/**
 * Runs every tenant in two passes, one tenant at a time (each tenant's lock is held only while a
 * slice works on it): first each tenant's start-up part (its `executeInBackground()` stopped at
 * its first batch boundary), then, once `ready`, each tenant's remaining batched work to the end.
 * One tenant after the other, not all at once: the background work never takes more than one
 * tenant's connection and one core while the application serves.
 */
export function tenantsInBackground(tools: TenantsBackgroundTools): MultiTenantBackground {
  const slots: Slot[] = [];
  let stopping = false;
  let current: { stop(): Promise<void> } | undefined;

  /** One tenant's `executeInBackground()`; `toFirstBatch`: stopped at its first batch boundary. Never throws. */
  let failures = 0;
  let ended = 0;
  const halted = () => stopping || failures >= tools.stopAfterFailures;

  async function slice(slot: Slot, toFirstBatch: boolean): Promise<void> {
    if (slot.began === undefined) {
      slot.began = performance.now();
      tools.started(slot.tenant, slots.indexOf(slot), slots.length);
    }
    slot.state = 'running';
    try {
      const runner = tools.runnerFor(slot.tenant);
      const run = runner.executeInBackground(tools.options);
      current = run;
      const off = toFirstBatch ? runner.on('batch-progress', () => void run.stop()) : undefined;
      try {
        slot.result = await run.done;
      } finally {
        off?.();
      }
      slot.executed += slot.result.executed;
      // A unit that failed without stopping the run (failFast: false) fails the tenant, as execute()
      // reports it; its batched work left waits for the next start: another slice would run that
      // unit a second time (a FAILED entry leaves it pending), which execute() never does.
      const unitFailed = outcomeOf(slot.result) === 'failed';
      if (unitFailed) failures++;
      slot.state = unitFailed ? 'failed' : stateAfter(slot.result, toFirstBatch && !halted());
    } catch (error) {
      // The runner's background loop has logged it, under the tenant's prefix.
      slot.state = 'failed';
      slot.error = error as MongockError;
      failures++;
    } finally {
      current = undefined;
    }
    if (slot.state !== 'waiting') end(slot);
  }

  /** A tenant reached its end state: `tenant-finished`, with what `execute()` would have reported. */
  function end(slot: Slot): void {
    tools.finished(tenantResult(slot), ++ended, slots.length);
  }

  const ready = (async () => {
    for (const tenant of await tools.tenantIds()) slots.push({ tenant, state: 'pending', executed: 0 });
    for (const slot of slots) if (!halted()) await slice(slot, true);
  })();
  const done = (async () => {
    await ready;
    for (const slot of slots) {
      if (slot.state !== 'waiting') continue;
      if (!halted()) await slice(slot, false);
      else {
        slot.state = 'stopped';
        end(slot);
      }
    }
    const count = (state: TenantBackgroundState) => slots.filter((slot) => slot.state === state).length;
    const skipped = count('skipped') === 0 ? '' : ` ${count('skipped')} skipped (another process held the lock),`;
    tools.logger.info(
      `Tenants in the background: ${count('finished')} finished, ${count('stopped')} stopped with work left,${skipped} ${count('failed')} failed, ${count('pending')} not reached, of ${slots.length}.`,
    );
    return slots.map(freeze);
  })();
  // Whoever holds the run awaits these; an unobserved rejection (the listing failed) must not crash the host.
  ready.catch(() => undefined);
  done.catch(() => undefined);
  return Object.freeze({
    ready,
    done,
    tenants: () => slots.map(freeze),
    async stop() {
      stopping = true;
      await current?.stop();
      await done.catch(() => undefined);
    },
  });
}

/**
 * A slice's end: a lock another process held is `skipped`, not `finished` (nothing was run; the
 * holder migrates the tenant); work left is `waiting` for its turn or `stopped`.
 */
function stateAfter(result: MigrationResult, mayWait: boolean): TenantBackgroundState {
  if (result.status === 'lock-not-acquired') return 'skipped';
  if (result.status !== 'in-progress') return 'finished';
  return mayWait ? 'waiting' : 'stopped';
}

/** A tenant's end state as `execute()` reports a tenant (`stopped`: `in-progress`, resumed by the next run). */
function tenantResult(slot: Slot): TenantResult {
  const durationMs = Math.round(performance.now() - (slot.began ?? performance.now()));
  const base = { tenant: slot.tenant, executed: slot.executed, durationMs };
  if (slot.error !== undefined) return { ...base, outcome: 'failed', error: slot.error };
  const result = slot.result!;
  const outcome = slot.state === 'stopped' ? 'in-progress' : outcomeOf(result);
  return { ...base, outcome, result, ...(outcome === 'skipped' ? { reason: 'locked' as const } : {}) };
}

function freeze(slot: Slot): TenantInBackground {
  return Object.freeze({
    tenant: slot.tenant,
    state: slot.state,
    ...(slot.result === undefined ? {} : { result: slot.result }),
    ...(slot.error === undefined ? {} : { error: slot.error }),
  });
}
