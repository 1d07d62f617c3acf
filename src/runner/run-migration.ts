import type { UnitFile } from '../change/unit-files.ts';
import { appliedFileDigests } from '../history/applied-files.ts';
import type { ChangeEntry } from '../history/change-entry.ts';
import { isLegacyImportPending } from './legacy-import-pending.ts';
import type { MigrationOutcome } from './migrate.ts';
import type { Operation } from './operation.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import type { RunBudget } from './run-budget.ts';
import type { ExecuteOptions } from './targets.ts';
import type { UnitCatalog } from './unit-catalog.ts';

/**
 * `execute()` from the units to the release. Units from scan paths only, whole run: the files
 * are listed and digested, the history is read, and when it proves every file applied and
 * unchanged the run is `up-to-date` with nothing imported. Only otherwise are the units loaded
 * and the locked path (`migrate.ts`, with the executor, the lock manager and the checks) imported:
 * a service's start-up with nothing pending loads none of it (docs/performance.md).
 */
export async function runMigration(
  operation: Operation,
  config: ResolvedConfig,
  catalog: UnitCatalog,
  executionId: string,
  options: ExecuteOptions,
  budget: RunBudget = {},
): Promise<MigrationOutcome> {
  const whole = options.to === undefined && options.step === undefined && options.only === undefined;
  // Listed now (a bad scan path fails before connecting), digested while the connection opens.
  const listing = whole && catalog.fromFilesOnly ? catalog.listFiles() : undefined;
  // Handled now: a digest may fail before the connection has opened; it is rethrown below.
  listing?.catch(() => undefined);
  // Anything else loads (and fails) before connecting.
  const loaded = listing === undefined ? await catalog.units() : undefined;
  try {
    return await operation.withConnection(async (connection) => {
      // Only decides whether to take the lock: the history is read again under it.
      const [files, history] = await Promise.all([listing, connection.readHistory({ beforeLock: true })]);
      if (files !== undefined && !isLegacyImportPending(config, history) && allApplied(files, history)) {
        config.logger.info('Nothing to migrate: every change unit file is already applied, unchanged.');
        return { status: 'up-to-date', items: [] };
      }
      const units = loaded ?? (await catalog.units());
      const { migrateLoaded } = await import('./execution-path.ts');
      return migrateLoaded(operation, { config, executionId, budget }, connection, units, history, options);
    });
  } catch (error) {
    // A file that could not be read says so, rather than the connection that failed meanwhile.
    await listing;
    throw error;
  }
}

/**
 * Whether the history proves every file applied and unchanged (its digest recorded with every
 * key it yields). Any other file (new, edited, moved, partly applied, with a runAlways unit)
 * sends the run down the full path, which imports and checks everything.
 */
function allApplied(files: readonly UnitFile[], history: readonly ChangeEntry[]): boolean {
  if (files.length === 0) return false;
  const applied = appliedFileDigests(history);
  return files.every((file) => applied.has(file.digest));
}
