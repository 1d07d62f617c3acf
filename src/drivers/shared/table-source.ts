import type { BatchSource } from '../../change/batched.ts';

/** What `tableSource` takes on every SQL driver. */
export interface TableSourceOptions {
  /** `table` or `schema.table`; each part quoted as given. */
  readonly table: string;
  /** An indexed, unique, orderable column (the primary key). Default `id`. */
  readonly key?: string;
  /** SQL text of a condition on the rows to visit (no parameters), e.g. `email_lower IS NULL`. */
  readonly where?: string;
  /** Columns to read (quoted). Default every column. */
  readonly columns?: readonly string[];
}

/** How one SQL database spells a keyset query, and runs it through the change unit's context. */
export interface TableSourceDialect<TContext> {
  quote(name: string): string;
  /** The n-th parameter's placeholder (1-based): `$1`, `?`. */
  placeholder(n: number): string;
  /** How the key column is written (SQLite's `rowid` stays unquoted). */
  keyColumn?(key: string): string;
  rows(context: TContext, sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

/**
 * A SQL table in key order for `batched()`: each batch is `SELECT … WHERE (where) AND key > last
 * [AND key <= until] ORDER BY key LIMIT size`, on the batch's transaction; the estimate is one
 * `count(*)` with the same WHERE, when the unit starts.
 */
export function sqlTableSource<TRow, TContext>(options: TableSourceOptions, dialect: TableSourceDialect<TContext>): BatchSource<TRow, TContext> {
  const key = options.key ?? 'id';
  const table = options.table
    .split('.')
    .map((part) => dialect.quote(part))
    .join('.');
  const column = dialect.keyColumn?.(key) ?? dialect.quote(key);
  const columns = options.columns === undefined ? '*' : options.columns.map((name) => dialect.quote(name)).join(', ');
  const where = options.where === undefined ? undefined : `(${options.where})`;
  return Object.freeze({
    description: `table ${options.table} by ${key}${options.where === undefined ? '' : ` where ${options.where}`}`,
    async read(context: TContext, after: unknown, size: number, until?: unknown): Promise<TRow[]> {
      const params: unknown[] = [];
      const conditions = where === undefined ? [] : [where];
      if (after !== undefined) conditions.push(`${column} > ${dialect.placeholder(params.push(after))}`);
      if (until !== undefined) conditions.push(`${column} <= ${dialect.placeholder(params.push(until))}`);
      const filter = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      const select = column === 'rowid' && columns === '*' ? 'rowid, *' : columns;
      return (await dialect.rows(context, `SELECT ${select} FROM ${table}${filter} ORDER BY ${column} LIMIT ${Math.floor(size)}`, params)) as TRow[];
    },
    keyOf: (row: TRow) => (row as Record<string, unknown>)[key],
    async estimate(context: TContext): Promise<number> {
      const rows = await dialect.rows(context, `SELECT count(*) AS n FROM ${table}${where === undefined ? '' : ` WHERE ${where}`}`, []);
      return Number(rows[0]?.n ?? 0);
    },
  });
}
