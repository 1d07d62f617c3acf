/**
 * The bundled drivers' folders follow one naming: the same role-named files, the contract's
 * implementation called `<Db>DriverConnection` (never a peer's type name: mysql2 has `Connection`,
 * and `MysqlConnection` is our name for it), the peer's connect errors in `<db>-client.ts`, and
 * one rule for default SQL table names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_REPOSITORY_NAME, DEFAULT_MIGRATION_REPOSITORY_NAME } from '../../src/drivers/index.ts';
import { DEFAULT_TABLE_NAMES } from '../../src/drivers/mysql/index.ts';
import { sqlTableName } from '../../src/drivers/shared/sql-table-name.ts';

const DRIVERS = { mongodb: 'Mongo', mysql: 'Mysql', postgres: 'Postgres', sqlite: 'Sqlite' } as const;
const ROLES = ['client', 'context', 'driver', 'history', 'lock'] as const;
const source = (folder: string, role: string) => readFileSync(new URL(`../../src/drivers/${folder}/${folder}-${role}.ts`, import.meta.url), 'utf8');

describe('driver folders', () => {
  it.each(Object.entries(DRIVERS))('%s: role-named files, its DriverConnection named <Db>DriverConnection', (folder, prefix) => {
    for (const role of ROLES) expect(() => source(folder, role), `${folder}-${role}.ts`).not.toThrow();
    expect(source(folder, 'driver')).toMatch(new RegExp(`class ${prefix}DriverConnection implements DriverConnection<`));
  });

  it.each(['mysql', 'postgres'])('%s: connectError is in its client file', (folder) => {
    expect(source(folder, 'client')).toMatch(/export function connectError\(/);
    expect(source(folder, 'sql')).not.toMatch(/function connectError\(/);
  });

  it('PostgreSQL and MySQL spell the default repository names the SQL way, any other name verbatim; mongock/mysql keeps DEFAULT_TABLE_NAMES', () => {
    expect(sqlTableName(DEFAULT_MIGRATION_REPOSITORY_NAME)).toBe('mongock_change_log');
    expect(sqlTableName(DEFAULT_LOCK_REPOSITORY_NAME)).toBe('mongock_lock');
    expect(sqlTableName('myChangeLog')).toBe('myChangeLog');
    expect(sqlTableName('toString')).toBe('toString');
    expect(DEFAULT_TABLE_NAMES).toEqual({ mongockChangeLog: 'mongock_change_log', mongockLock: 'mongock_lock' });
    for (const folder of ['mysql', 'postgres']) expect(source(folder, 'driver')).toMatch(/sqlTableName\(settings\.migrationRepositoryName\)/);
  });
});
