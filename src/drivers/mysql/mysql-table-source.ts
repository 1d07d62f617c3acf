import type { BatchSource } from '../../change/batched.ts';
import { sqlTableSource, type TableSourceOptions } from '../shared/table-source.ts';
import type { MysqlHandle } from './mysql-context.ts';
import { quoteIdentifier } from './mysql-sql.ts';

/**
 * What `tableSource()` takes: the table, its unique key column, which rows (a `WHERE` fragment) and
 * which columns.
 */
export type MysqlTableSourceOptions = TableSourceOptions;

/**
 * A MySQL/MariaDB table in key order, for `batched()`: each batch is `SELECT … WHERE key > ?
 * ORDER BY key LIMIT size`, in the batch's transaction. The estimate is one `count(*)` when the
 * unit starts.
 *
 * @example
 * ```ts
 * import { batched } from 'mongock';
 * import { type MysqlChangeContext, tableSource } from 'mongock/mysql';
 * const step = batched<{ id: number }, MysqlChangeContext>({
 *   source: tableSource({ table: 'orders', key: 'id', where: 'total_cents IS NULL' }),
 *   size: 500,
 *   async apply(batch, { sql }) { await sql.run('UPDATE orders SET total_cents = ROUND(total * 100) WHERE id IN (?)', [batch.map((row) => row.id)]); },
 * });
 * ```
 */
export function tableSource<TRow = Record<string, unknown>>(options: MysqlTableSourceOptions): BatchSource<TRow, { readonly sql: MysqlHandle }> {
  return sqlTableSource<TRow, { readonly sql: MysqlHandle }>(options, {
    quote: quoteIdentifier,
    placeholder: () => '?',
    rows: ({ sql }, text, params) => sql.query(text, [...params]),
  });
}
