import type { DriverConnection, Scope } from '../../drivers/driver.ts';
import { lockLostError } from '../../errors/error-builders.ts';
import { errorMessage, isMongockError, MongockError, type MongockOperation } from '../../errors/mongock-error.ts';
import type { NewChangeEntry } from '../../history/change-entry.ts';
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
  /** `config.clock.now()` by which batched units stop at a batch boundary (`maxRunMs`); Infinity: no budget. */
  readonly deadline: number;
  /** True once `executeInBackground().stop()` was called: batched units stop at the next batch boundary. */
  readonly stopRequested: () => boolean;
}

/**
 * Runs `work` in one driver scope fenced and guarded by the run's lock. A client's raw error
 * while recording an entry names the row it was writing (change, author, execution id, state);
 * so does one raised by the commit after `work` returned, since a driver may send a scope's
 * entries with its COMMIT (PostgreSQL): the last entry the scope saved is named.
 */
export async function inScope<T>(run: RunContext, transactional: boolean, work: (scope: Scope<object>) => Promise<T>): Promise<T> {
  // The raw error is named only once it has left the driver's scope, which may know it better
  // (PostgreSQL's aborted transaction, a lost lock).
  let refused: { readonly entry: NewChangeEntry; readonly error: unknown } | undefined;
  let saved: NewChangeEntry | undefined;
  let returned = false;
  try {
    // The background renewal is a timer, and a timer never fires while every await resolves at
    // once: better-sqlite3 is synchronous, so a run of quick SQLite units never yields to it. Each
    // scope renews the lease when it is due (no round trip otherwise) and stops a holder past it.
    await run.lock.ensure();
    return await run.connection.runInScope({ transactional, lease: run.lock.lease, guard: run.lock }, async (scope) => {
      // The driver may run the callback again (MongoDB's transient transaction errors): start clean.
      saved = undefined;
      returned = false;
      const result = await work({
        ...scope,
        saveEntry: async (entry) => {
          try {
            await scope.saveEntry(entry);
            saved = entry;
          } catch (error) {
            refused = { entry, error };
            throw error;
          }
        },
      });
      returned = true;
      return result;
    });
  } catch (error) {
    if (refused !== undefined && error === refused.error && !isMongockError(error)) throw recordError(run, refused.entry, error);
    if (returned && saved !== undefined && !isMongockError(error)) throw commitError(run, saved, error);
    throw error;
  }
}

const HISTORY_SHAPE_HINT =
  'If the history was created by hand or by another tool, check its shape (see the driver docs) or point migrationRepositoryName elsewhere.';

function recordError(run: RunContext, entry: NewChangeEntry, error: unknown): MongockError {
  const { driver, migrationRepositoryName } = run.config;
  return new MongockError(
    'DRIVER_ERROR',
    `The ${driver.name} database refused to record ${entry.state} for change '${entry.changeId}' by '${entry.author}' (execution id '${entry.executionId}') in Mongock's history '${migrationRepositoryName}': ${errorMessage(error)}. ${HISTORY_SHAPE_HINT}`,
    { changeId: entry.changeId, author: entry.author, cause: error },
  );
}

/**
 * The commit of a scope that had saved an entry failed: the entry's own write (a driver may send
 * it with the COMMIT) or the change's writes (a deferred constraint is checked at COMMIT) — the
 * cause says which, and both rolled back together.
 */
function commitError(run: RunContext, entry: NewChangeEntry, error: unknown): MongockError {
  const { driver, migrationRepositoryName } = run.config;
  return new MongockError(
    'DRIVER_ERROR',
    `The ${driver.name} database refused to commit change '${entry.changeId}' by '${entry.author}' (execution id '${entry.executionId}') with its ${entry.state} entry in Mongock's history '${migrationRepositoryName}': ${errorMessage(error)}. ` +
      `Neither the change's writes nor the entry were kept. If the cause names one of the change's own tables (a deferred constraint is checked at COMMIT), fix the change or its data and run again. ${HISTORY_SHAPE_HINT}`,
    { changeId: entry.changeId, author: entry.author, cause: error },
  );
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
