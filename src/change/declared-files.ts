import { builtins } from '../runtime/builtins.ts';

/** The sibling holding a `.sql` unit's rollback: `<unit name>.rollback.sql`. */
export const ROLLBACK_SUFFIX = '.rollback.sql';
/** The extensions of declarative MongoDB unit files. */
export const DECLARATIVE_EXTENSIONS: readonly string[] = Object.freeze(['.json', '.yaml', '.yml']);
/** Unit files that are read, not imported: SQL statements (docs/sql-units.md), MongoDB command lists (docs/declarative-units.md). */
export const DECLARED_EXTENSIONS: readonly string[] = Object.freeze(['.sql', ...DECLARATIVE_EXTENSIONS]);

/**
 * True for a file a scan path reads as a unit of its own (a `*.rollback.sql` belongs to its unit).
 * Kept apart from the loaders so that listing a scan path at start-up does not load them.
 */
export function isDeclaredUnitFile(name: string): boolean {
  return DECLARED_EXTENSIONS.includes(builtins.path().extname(name)) && !name.endsWith(ROLLBACK_SUFFIX);
}
