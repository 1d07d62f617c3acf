import type { BatchSource } from '../../change/batched.ts';
import { sqlTableSource, type TableSourceOptions } from '../shared/table-source.ts';
import type { PostgresHandle } from './postgres-context.ts';
import { quoteIdentifier } from './postgres-sql.ts';

/**
 * What `tableSource()` takes: the table, its unique key column, which rows (a `WHERE` fragment) and
 * which columns.
 */
export type PostgresTableSourceOptions = TableSourceOptions;

/**
 * A PostgreSQL table in key order, for `batched()`: each batch is `SELECT … WHERE key > $1
 * ORDER BY key LIMIT size`, on the batch's transaction. The estimate is one `count(*)` when the
 * unit starts.
 *
 * @example
 * ```ts
 * import { batched } from 'mongock';
 * import { type PostgresChangeContext, tableSource } from 'mongock/postgres';
 * const step = batched<{ id: number }, PostgresChangeContext>({
 *   source: tableSource({ table: 'users', key: 'id', where: 'email_lower IS NULL' }),
 *   size: 1_000,
 *   async apply(batch, { sql }) { await sql.query('UPDATE users SET email_lower = lower(email) WHERE id = ANY($1)', [batch.map((row) => row.id)]); },
 * });
 * ```
 */
export function tableSource<TRow = Record<string, unknown>>(options: PostgresTableSourceOptions): BatchSource<TRow, { readonly sql: PostgresHandle }> {
  return sqlTableSource<TRow, { readonly sql: PostgresHandle }>(options, {
    quote: quoteIdentifier,
    placeholder: (n) => `$${n}`,
    rows: ({ sql }, text, params) => sql.rows(text, params),
  });
}
