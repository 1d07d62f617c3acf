/**
 * Every error Mongock raises on purpose. The `code` is stable: match on it, not on the message.
 *
 * - `INVALID_CONFIG`: an option is missing, unknown or of the wrong type.
 * - `INVALID_CHANGE_UNIT`: change units failed validation (all problems are listed in `problems`).
 * - `MODULE_LOAD_FAILED`: a file under a scan path could not be read or imported (`file`, `cause`).
 * - `TYPESCRIPT_LOADER_MISSING`: a `.ts`/`.mts`/`.cts` unit or config was met, the running Node
 *   cannot strip its types and tsx is not installed (`file`; the message says `npm install -D tsx`).
 * - `LOCK_NOT_ACQUIRED`: another runner held the lock for longer than `quitTryingAfterMs`.
 * - `LOCK_LOST`: the lock was lost while changes were running; the run stopped.
 * - `CHANGE_FAILED`: a change unit threw (`changeId`, `author`, `cause`).
 * - `ROLLBACK_FAILED`: a change unit threw and then its rollback threw too.
 * - `CHANGE_INTERRUPTED`: a non-transactional change was interrupted by a crash in an earlier run.
 * - `MANUAL_RESOLUTION_REQUIRED`: a unit with `recovery: 'manual'` has an unresolved earlier attempt;
 *   the message names the `mongock mark` commands that resolve it.
 * - `UNDO_FAILED`: `undo()` could not roll a unit back.
 * - `CHECKSUM_MISMATCH`: an executed unit's code changed and the config says to fail.
 * - `CHANGE_TIMEOUT`: a change unit (or its rollback) ran longer than its execution timeout.
 * - `CORRUPT_RECORD`: a record in the lock or history store cannot be read (`unlock --force` clears a lock record).
 * - `BATCHES_UNFINISHED`: a batched unit stopped at its time budget (`maxRunMs`) with work left and
 *   `failOnUnfinishedBatches` is true; its checkpoint is saved and the next run resumes.
 * - `RUN_UNFINISHED`: the run was stopped before it settled (the CLI never reports it as success).
 * - `STATEMENT_TIMEOUT`: the database cancelled a statement that waited for a lock or ran longer than
 *   the timeout the driver set on its session (PostgreSQL `lock_timeout` / `statement_timeout`,
 *   MySQL/MariaDB `lock_wait_timeout` / `innodb_lock_wait_timeout` / `max_statement_time`).
 * - `DRIVER_ERROR`: the database refused or could not be reached (the message names the table or collection; `cause` is the client's error).
 * - `TENANT_LIST_FAILED`: a multi-tenant run could not list its tenants (the enumerator threw, or
 *   returned duplicates or tenants without an id); no tenant was touched.
 */
export type MongockErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_CHANGE_UNIT'
  | 'MODULE_LOAD_FAILED'
  | 'TYPESCRIPT_LOADER_MISSING'
  | 'LOCK_NOT_ACQUIRED'
  | 'LOCK_LOST'
  | 'CHANGE_FAILED'
  | 'ROLLBACK_FAILED'
  | 'CHANGE_INTERRUPTED'
  | 'MANUAL_RESOLUTION_REQUIRED'
  | 'UNDO_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'CHANGE_TIMEOUT'
  | 'CORRUPT_RECORD'
  | 'BATCHES_UNFINISHED'
  | 'RUN_UNFINISHED'
  | 'STATEMENT_TIMEOUT'
  | 'DRIVER_ERROR'
  | 'TENANT_LIST_FAILED';

/**
 * What the runner was doing when the error arose, as umzug's error carries its direction:
 * applying a change (`execute`), rolling one back after a failure or an interruption
 * (`rollback`), or rolling executed units back on request (`undo`).
 */
export type MongockOperation = 'execute' | 'rollback' | 'undo';

/** Extra facts an error carries, all optional: which unit, which file, which problems. */
export interface MongockErrorDetails {
  readonly changeId?: string;
  readonly operation?: MongockOperation;
  readonly author?: string;
  readonly file?: string;
  readonly problems?: readonly string[];
  readonly cause?: unknown;
}

/**
 * Marks every MongockError, whichever copy of the package made it: an app can hold two (its
 * CommonJS and ES module builds, or a config loaded through the TypeScript loader), and
 * `instanceof` alone would not recognise the other copy's errors. `Symbol.for` is one registry
 * per process.
 */
const BRAND: unique symbol = Symbol.for('mongock.error') as never;

/**
 * The one error class of Mongock. Like umzug's `MigrationError`, it carries the failing change
 * unit (when there is one) and keeps the original error as `cause`. `instanceof MongockError`
 * and {@link isMongockError} recognise MongockErrors from every copy of the package.
 *
 * @example
 * ```ts
 * import { MongockBuilder, MongockError } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const runner = new MongockBuilder().setDriver(sqliteDriver({ filename: 'app.db' })).addMigrationScanPath('./migrations').buildRunner();
 * try {
 *   await runner.execute();
 * } catch (error) {
 *   if (error instanceof MongockError && error.code === 'CHANGE_FAILED') console.error(error.changeId, error.cause);
 * }
 * ```
 */
export class MongockError extends Error {
  override readonly name = 'MongockError';
  readonly code: MongockErrorCode;
  readonly changeId: string | undefined;
  readonly author: string | undefined;
  readonly file: string | undefined;
  readonly operation: MongockOperation | undefined;
  readonly problems: readonly string[];

  /** Recognises MongockErrors of every copy of the package (subclasses keep the usual `instanceof`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of `instanceof`: a subclass keeps the usual prototype check.
    // biome-ignore lint/complexity/noThisInStatic: see above
    // biome-ignore lint/complexity/noUselessThisAlias: one suppression for the two uses
    const target = this;
    if (target !== MongockError) return Function.prototype[Symbol.hasInstance].call(target, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  constructor(code: MongockErrorCode, message: string, details: MongockErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.changeId = details.changeId;
    this.author = details.author;
    this.file = details.file;
    this.operation = details.operation;
    this.problems = Object.freeze([...(details.problems ?? [])]);
  }
}

Object.defineProperty(MongockError.prototype, BRAND, { value: true });

/**
 * True when `error` is a {@link MongockError} of any copy of the package, optionally with the given code.
 *
 * @example
 * ```ts
 * import { createRunner, isMongockError } from 'mongock';
 * import { sqliteDriver } from 'mongock/sqlite';
 *
 * const runner = createRunner({ driver: sqliteDriver({ filename: 'app.db' }), migrationScanPath: './migrations' });
 * await runner.execute().catch((error: unknown) => {
 *   if (isMongockError(error, 'LOCK_NOT_ACQUIRED')) return; // another instance is migrating
 *   throw error;
 * });
 * ```
 */
export function isMongockError(error: unknown, code?: MongockErrorCode): error is MongockError {
  return error instanceof MongockError && (code === undefined || error.code === code);
}

/** One line about anything thrown, without its stack: for messages and logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Everything known about anything thrown, stack included: for history entries' `errorTrace`. */
export function errorStack(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** @deprecated The stack; use {@link errorStack} for traces and {@link errorMessage} for messages. */
export const describeError: (error: unknown) => string = errorStack;
