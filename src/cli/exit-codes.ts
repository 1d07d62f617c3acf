/**
 * The exit codes of `mongock`, documented in docs/cli.md. Scripts and deploy gates rely on them.
 *
 * - `0` success, or nothing to do
 * - `1` the operation failed: a change unit (or its rollback) failed, the lock was lost, a
 *   checksum mismatch stopped the run, the database refused
 * - `2` usage or configuration error: unknown command or flag, missing or malformed config,
 *   invalid change units, a TypeScript file without a loader; nothing was run
 * - `3` the lock could not be obtained (or `unlock` found it held and did not clear it)
 * - `4` pending or failed change units (`status --check`)
 * - `5` `migrate` stopped a batched unit at its time budget (`--max-run-ms`, `maxRunMs`): its
 *   checkpoint is saved and the lock released; run `migrate` again to continue (tenants: one
 *   stopped in progress or was not started before the command's budget was spent)
 */
export const EXIT_CODES = Object.freeze({ ok: 0, failed: 1, usage: 2, lock: 3, pending: 4, inProgress: 5 });

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const USAGE_ERRORS: ReadonlySet<string> = new Set([
  'INVALID_CONFIG',
  'INVALID_CHANGE_UNIT',
  'MODULE_LOAD_FAILED',
  'TYPESCRIPT_LOADER_MISSING',
  'USAGE',
  'CONFIG',
]);

/** Maps an error's stable `code` to the exit code; anything unexpected is a failure (1). */
export function exitCodeFor(code: string | undefined): ExitCode {
  if (code !== undefined && USAGE_ERRORS.has(code)) return EXIT_CODES.usage;
  if (code === 'LOCK_NOT_ACQUIRED') return EXIT_CODES.lock;
  return EXIT_CODES.failed;
}
