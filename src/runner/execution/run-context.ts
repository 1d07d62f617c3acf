import type { DriverConnection, Scope } from '../../drivers/driver.ts';
import { lockLostError } from '../../errors/error-builders.ts';
import { isMongockError, type MongockError, type MongockOperation } from '../../errors/mongock-error.ts';
import type { LockManager } from '../../lock/lock-manager.ts';
import type { EventBus } from '../events.ts';
import type { PlanItem } from '../plan.ts';
import type { ResolvedConfig } from '../resolve-config.ts';

/** Everything one run shares, built by `operation.ts` once the lock is held. */
export interface RunContext {
  readonly config: ResolvedConfig;
  readonly connection: DriverConnection<object>;
  readonly lock: LockManager;
  readonly events: EventBus;
  readonly executionId: string;
  readonly hostname: string;
  /** Whether execution items run in transactions (config and connected database agree). */
  readonly transactional: boolean;
}

/** Runs `work` in one driver scope fenced and guarded by the run's lock. */
export function inScope<T>(run: RunContext, transactional: boolean, work: (scope: Scope<object>) => Promise<T>): Promise<T> {
  return run.connection.runInScope({ transactional, lease: run.lock.lease, guard: run.lock }, work);
}

/** Whether an item runs in a transaction: only executions (not before- or after-steps), when the run has them and the unit does not opt out. */
export function isTransactional(run: RunContext, item: PlanItem): boolean {
  return item.role === 'execution' && run.transactional && item.unit.model.transactional !== false;
}

/** Whether `error` (or the lock's own state) says the lock is gone. */
export function isLockLost(error: unknown, lock: LockManager): boolean {
  return isMongockError(error, 'LOCK_LOST') || (error !== undefined && lock.lost);
}

/** Throws `LOCK_LOST` (tagged with `operation`) when `error` came from losing the lock. */
export function throwIfLockLost(error: unknown, lock: LockManager, operation: MongockOperation): void {
  if (!isLockLost(error, lock)) return;
  throw lockLostFrom(error, lock, operation);
}

function lockLostFrom(error: unknown, lock: LockManager, operation: MongockOperation): MongockError {
  if (isMongockError(error, 'LOCK_LOST')) return lockLostError(error, operation);
  return lockLostError(lock.lostError() ?? error, operation);
}
