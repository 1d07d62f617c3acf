export type { SqliteDatabase, SqliteStatement } from './sqlite-client.ts';
export { type SqliteChangeContext, SqliteHandle } from './sqlite-context.ts';
export { DEFAULT_BUSY_TIMEOUT_MS, type SqliteDriverOptions, sqliteDriver } from './sqlite-driver.ts';
export { type SqliteTableSourceOptions, tableSource } from './sqlite-table-source.ts';
