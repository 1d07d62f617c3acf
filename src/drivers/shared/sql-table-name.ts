import { DEFAULT_MIGRATION_REPOSITORY_NAME } from '../../history/change-entry.ts';
import { DEFAULT_LOCK_REPOSITORY_NAME } from '../../lock/lock-config.ts';

/**
 * Mongock's default repository names, spelled the SQL way, in PostgreSQL and MySQL/MariaDB.
 * Unquoted identifiers fold case (PostgreSQL) and table names are case-sensitive on Linux but
 * not on Windows/macOS (MySQL's `lower_case_table_names`), so camelCase names are a portability
 * trap; names you choose yourself are used exactly as given. SQLite keeps the repository names
 * as they are (see `sqlite/sqlite-history.ts`).
 */
export const DEFAULT_TABLE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  [DEFAULT_MIGRATION_REPOSITORY_NAME]: 'mongock_change_log',
  [DEFAULT_LOCK_REPOSITORY_NAME]: 'mongock_lock',
});

/** The table name for a configured repository name: a default's SQL spelling, any other name verbatim. */
export function sqlTableName(repositoryName: string): string {
  return Object.hasOwn(DEFAULT_TABLE_NAMES, repositoryName) ? DEFAULT_TABLE_NAMES[repositoryName]! : repositoryName;
}
