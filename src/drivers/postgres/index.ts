export type { PostgresClient, PostgresPool, PostgresPoolClient, PostgresQueryResult } from './postgres-client.ts';
export type { PostgresChangeContext, PostgresHandle } from './postgres-context.ts';
export { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_LOCK_TIMEOUT_MS, type PostgresDriverOptions, postgresDriver } from './postgres-driver.ts';
export { type PostgresTableSourceOptions, tableSource } from './postgres-table-source.ts';
