/** The SQL dialects a `.sql` change unit is split for; each SQL driver names its own. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

export const SQL_DIALECTS: readonly SqlDialect[] = Object.freeze(['postgres', 'mysql', 'sqlite']);

/**
 * What a SQL driver's change-unit handle offers `.sql` units: its dialect (how to split a file) and
 * one statement run through the handle, so in the unit's transaction, lock-guarded, with the
 * driver's own rules (MySQL refuses implicit commits in a transactional unit).
 */
export interface SqlScriptTarget {
  readonly dialect: SqlDialect;
  runStatement(statement: string): Promise<void>;
}

/** The key under which a driver's `sql` handle exposes its {@link SqlScriptTarget}. */
export const SQL_SCRIPT_TARGET: unique symbol = Symbol.for('mongock.sqlScriptTarget') as never;

/** The script target of a change context (`context.sql[SQL_SCRIPT_TARGET]`), or undefined for drivers without SQL. */
export function sqlScriptTargetOf(context: object): SqlScriptTarget | undefined {
  const handle = (context as { sql?: unknown }).sql;
  if (typeof handle !== 'object' || handle === null) return undefined;
  const target = (handle as { [SQL_SCRIPT_TARGET]?: unknown })[SQL_SCRIPT_TARGET];
  return typeof target === 'object' && target !== null ? (target as SqlScriptTarget) : undefined;
}
