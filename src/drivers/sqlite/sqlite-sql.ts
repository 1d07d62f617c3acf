/** Quotes an identifier for SQLite. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The database's clock in epoch milliseconds: lease arithmetic never uses the process clock. */
export const NOW_MS = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
