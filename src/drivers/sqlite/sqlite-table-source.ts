import type { BatchSource } from '../../change/batched.ts';
import { sqlTableSource, type TableSourceOptions } from '../shared/table-source.ts';
import type { SqliteHandle } from './sqlite-context.ts';
import { quoteIdentifier } from './sqlite-sql.ts';

/** `key` may be `rowid`. */
export type SqliteTableSourceOptions = TableSourceOptions;

/**
 * A SQLite table in key order, for `batched()`: each batch is `SELECT … WHERE key > ? ORDER BY
 * key LIMIT size`, in the batch's transaction. The estimate is one `count(*)` when the unit starts.
 *
 * @example
 * ```ts
 * import { batched } from 'mongock';
 * import { type SqliteChangeContext, tableSource } from 'mongock/sqlite';
 * const step = batched<{ id: number }, SqliteChangeContext>({
 *   source: tableSource({ table: 'users', where: 'email_lower IS NULL' }),
 *   size: 1_000,
 *   async apply(batch, { sql }) { for (const row of batch) await sql.run('UPDATE users SET email_lower = lower(email) WHERE id = ?', row.id); },
 * });
 * ```
 */
export function tableSource<TRow = Record<string, unknown>>(options: SqliteTableSourceOptions): BatchSource<TRow, { readonly sql: SqliteHandle }> {
  return sqlTableSource<TRow, { readonly sql: SqliteHandle }>(options, {
    quote: quoteIdentifier,
    placeholder: () => '?',
    // `rowid` is only the row id unquoted ("rowid" would be a column of that name).
    keyColumn: (key) => (key.toLowerCase() === 'rowid' ? 'rowid' : quoteIdentifier(key)),
    rows: ({ sql }, text, params) => sql.all(text, ...params),
  });
}
