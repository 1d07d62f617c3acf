export { DEFAULT_TABLE_NAMES } from '../shared/sql-table-name.ts';
export type {
  MysqlConnection,
  MysqlOwnedConnection,
  MysqlPool,
  MysqlPoolConnection,
  MysqlPromisable,
  MysqlQueryOptions,
} from './mysql-client.ts';
export type { MysqlChangeContext, MysqlHandle, MysqlParams, MysqlRunResult } from './mysql-context.ts';
export { DEFAULT_LOCK_WAIT_TIMEOUT_MS, type MysqlDriverOptions, mysqlDriver } from './mysql-driver.ts';
export { type MysqlTableSourceOptions, tableSource } from './mysql-table-source.ts';
