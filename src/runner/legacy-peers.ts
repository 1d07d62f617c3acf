import type { DriverConnection } from '../drivers/driver.ts';
import type { LegacyRows } from './doctor/doctor-check.ts';
import type { LegacyField, LegacyMigrationConfig, SqlPeer } from './mongock-config.ts';

export const SQL_PEERS: readonly SqlPeer[] = Object.freeze(['knex', 'kysely', 'node-pg-migrate', 'umzug']);

/** Where each peer keeps its history, and which columns say what (docs/sql-units.md, "Switching from..."). */
export interface PeerPreset {
  readonly table: string;
  /** The peer's own lock table (left alone), for messages and docs; none for node-pg-migrate (an advisory lock). */
  readonly lockTable: string | undefined;
  readonly mapping: Readonly<Partial<Record<LegacyField, string>>>;
}

export const PEER_PRESETS: Readonly<Record<SqlPeer, PeerPreset>> = Object.freeze({
  knex: { table: 'knex_migrations', lockTable: 'knex_migrations_lock', mapping: { changeId: 'name', timestamp: 'migration_time' } },
  kysely: { table: 'kysely_migration', lockTable: 'kysely_migration_lock', mapping: { changeId: 'name', timestamp: 'timestamp' } },
  'node-pg-migrate': { table: 'pgmigrations', lockTable: undefined, mapping: { changeId: 'name', timestamp: 'run_on' } },
  umzug: { table: 'SequelizeMeta', lockTable: undefined, mapping: { changeId: 'name' } },
});

/** A migration file's extensions, which the default id mapping drops. */
const MIGRATION_EXTENSION = /\.(?:[cm]?[jt]s|sql|coffee)$/;

/** The field mapping an import uses: the peer's columns (with `from`), then the user's. */
export function legacyMapping(legacy: LegacyMigrationConfig): Readonly<Partial<Record<LegacyField, string>>> {
  return { ...(legacy.from === undefined ? {} : PEER_PRESETS[legacy.from].mapping), ...legacy.mapping };
}

/** The change id a record's name maps to (`legacyMigration.changeIds`; with `from`, the name without its extension). */
export function mappedChangeId(legacy: LegacyMigrationConfig, name: string): string {
  const { changeIds } = legacy;
  if (typeof changeIds === 'function') return changeIds(name);
  if (changeIds !== undefined && Object.hasOwn(changeIds, name)) return changeIds[name]!;
  return legacy.from === undefined ? name : name.replace(MIGRATION_EXTENSION, '');
}

/** The legacy history's rows as the doctor reads them (no lock, nothing written); undefined without `legacyMigration`. */
export async function readLegacyRows(legacy: LegacyMigrationConfig | undefined, connection: DriverConnection<object>): Promise<LegacyRows | undefined> {
  if (legacy === undefined || connection.readLegacyRecords === undefined) return undefined;
  const field = legacyMapping(legacy).changeId ?? 'changeId';
  try {
    const records = await connection.readLegacyRecords(legacy.origin);
    const rows = records.flatMap((record) => {
      const value = record[field];
      if (value === undefined || value === null || value === '') return [];
      const name = String(value);
      return [{ name, changeId: mappedChangeId(legacy, name) }];
    });
    return { origin: legacy.origin, peer: legacy.from, rows };
  } catch (error) {
    return { origin: legacy.origin, peer: legacy.from, rows: { error: error instanceof Error ? error.message : String(error) } };
  }
}
