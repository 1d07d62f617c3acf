export type {
  MysqlConnection,
  MysqlOwnedConnection,
  MysqlPool,
  MysqlPoolConnection,
  MysqlPromisable,
  MysqlQueryOptions,
} from './mysql-client.ts';
export type { MysqlChangeContext, MysqlHandle, MysqlParams, MysqlRunResult } from './mysql-context.ts';
export { type MysqlDriverOptions, mysqlDriver } from './mysql-driver.ts';
export { DEFAULT_TABLE_NAMES } from './mysql-sql.ts';
