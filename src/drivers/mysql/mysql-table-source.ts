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
 */
export function tableSource<TRow = Record<string, unknown>>(options: MysqlTableSourceOptions): BatchSource<TRow, { readonly sql: MysqlHandle }> {
  return sqlTableSource<TRow, { readonly sql: MysqlHandle }>(options, {
    quote: quoteIdentifier,
    placeholder: () => '?',
    rows: ({ sql }, text, params) => sql.query(text, [...params]),
  });
}
