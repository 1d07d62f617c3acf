import type { ChangeEntry } from '../history/change-entry.ts';
import { entryKey, executedKeys } from '../history/is-executed.ts';
import type { ResolvedConfig } from './resolve-config.ts';

/** The system change that records the import, as in Java Mongock. */
export const LEGACY_MIGRATION_ID = 'mongock-legacy-migration';
export const SYSTEM_AUTHOR = 'mongock';

/** Whether the configured import still has to run (once, unless `runAlways`). Apart from the import itself, which a start-up with nothing pending does not load. */
export function isLegacyImportPending(config: ResolvedConfig, history: readonly ChangeEntry[]): boolean {
  const legacy = config.legacyMigration;
  if (legacy === undefined) return false;
  return legacy.runAlways === true || !executedKeys(history).has(entryKey(LEGACY_MIGRATION_ID, SYSTEM_AUTHOR));
}
