import { MongockError } from '../../errors/mongock-error.ts';
import { ER, errorCode } from './mysql-client.ts';
import type { MysqlSession } from './mysql-session.ts';

/** One of Mongock's two tables, as its errors name it. */
export interface MysqlTable {
  readonly what: 'history' | 'lock';
  /** The table's name in the session's database, unquoted. */
  readonly name: string;
  /** Its CREATE TABLE statement (from the documented DDL). */
  readonly ddl: string;
}

/** A privilege failure on one of Mongock's tables, with the GRANT that fixes it; other errors pass through. */
export function accessError(error: unknown, action: 'read' | 'write' | 'create', what: 'history' | 'lock', database: string, table: string): unknown {
  const { errno } = errorCode(error);
  if (errno !== ER.TABLEACCESS_DENIED && errno !== ER.DBACCESS_DENIED) return error;
  const message = (error as Error).message;
  const fix =
    action === 'create'
      ? `Grant CREATE for the first run (GRANT CREATE, SELECT, INSERT, UPDATE ON \`${database}\`.* TO <user>), or have an administrator create the table with the DDL in docs/mysql.md.`
      : `Mongock needs SELECT, INSERT and UPDATE on its tables (GRANT SELECT, INSERT, UPDATE ON \`${database}\`.\`${table}\` TO <user>).`;
  return new MongockError('DRIVER_ERROR', `Cannot ${action} the Mongock ${what} table \`${database}\`.\`${table}\`: ${message}. ${fix}`, { cause: error });
}

/**
 * `read()`, or, when the table is missing, the table created from its DDL and `missing`. The read
 * is the existence check, so a role without CREATE runs against tables a DBA created from the
 * documented DDL; a refused read or create says which GRANT fixes it.
 */
export async function readCreating<T>(session: MysqlSession, table: MysqlTable, read: () => Promise<T>, missing: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (errorCode(error).errno !== ER.NO_SUCH_TABLE) throw accessError(error, 'read', table.what, session.database, table.name);
  }
  try {
    await session.run(table.ddl);
  } catch (error) {
    throw accessError(error, 'create', table.what, session.database, table.name);
  }
  return missing;
}
