import type { SelectedUnit } from '../change/select-change-units.ts';
import { isMongockError, MongockError } from '../errors/mongock-error.ts';
import type { ChangeEntry, NewChangeEntry } from '../history/change-entry.ts';
import { entryKey, executedKeys } from '../history/is-executed.ts';
import { inScope, type RunContext } from './execution/run-context.ts';
import { LEGACY_MIGRATION_ID, SYSTEM_AUTHOR } from './legacy-import-pending.ts';
import { legacyMapping, mappedChangeId } from './legacy-peers.ts';
import type { LegacyField } from './mongock-config.ts';

const DEFAULT_MAPPING: Readonly<Record<LegacyField, string | undefined>> = {
  changeId: 'changeId',
  author: 'author',
  timestamp: 'timestamp',
  changeLogClass: 'changeLogClass',
  changeSetMethod: 'changeSetMethod',
  metadata: undefined,
};

/**
 * Copies another tool's history (mongobee's `dbchangelog`, migrate-mongo's `changelog`, ...)
 * into Mongock's, as Java Mongock does: records already executed here are skipped, the rest are
 * written as EXECUTED so that the units they describe do not run again. Runs under the lock.
 */
export async function importLegacyHistory(run: RunContext, history: readonly ChangeEntry[], units: readonly SelectedUnit[] = []): Promise<void> {
  const { config, connection, lock } = run;
  const legacy = config.legacyMigration!;
  const mapping = { ...DEFAULT_MAPPING, ...legacyMapping(legacy) };
  // A record without an author (SQL peers have none) is recorded under the author of the unit that claims its id.
  const unitAuthors = new Map(units.map((unit) => [unit.model.id, unit.author]));
  try {
    if (connection.readLegacyRecords === undefined) throw new Error(`the ${config.driver.name} driver cannot read legacy history`);
    const records = await connection.readLegacyRecords(legacy.origin);
    if (legacy.changesCountExpectation !== undefined && records.length !== legacy.changesCountExpectation) {
      throw new Error(`expected ${legacy.changesCountExpectation} records in '${legacy.origin}', found ${records.length}`);
    }
    const executed = executedKeys(history);
    const known = new Set(history.map((entry) => entryKey(entry.changeId, entry.author)));
    const executionId = `legacy_migration-${new Date().toISOString()}-${Math.floor(Math.random() * 999)}`;
    const entries: NewChangeEntry[] = [];
    for (const record of records) {
      const name = pick(record, mapping.changeId);
      if (name === undefined || name === '') throw new Error(`a record in '${legacy.origin}' has no '${mapping.changeId}' field: ${JSON.stringify(record)}`);
      const changeId = mappedChangeId(legacy, name);
      const author = pick(record, mapping.author) || unitAuthors.get(changeId) || config.defaultAuthor;
      const key = entryKey(changeId, author);
      if (executed.has(key)) continue;
      const recorded = record[mapping.timestamp ?? ''];
      // Without a time of its own (or replacing an entry known here), the database's clock stamps it.
      const timestamp = known.has(key) || recorded === undefined ? undefined : new Date(recorded as string | number | Date);
      const original = mapping.metadata === undefined ? undefined : record[mapping.metadata];
      entries.push({
        executionId,
        changeId,
        author,
        ...(timestamp === undefined ? {} : { timestamp }),
        state: 'EXECUTED',
        type: 'EXECUTION',
        changeLogClass: pick(record, mapping.changeLogClass) ?? legacy.from ?? '',
        changeSetMethod: pick(record, mapping.changeSetMethod) ?? (legacy.from === undefined ? '' : name),
        metadata: {
          'migration-type': 'legacy',
          ...(legacy.from === undefined ? {} : { peer: legacy.from, 'original-name': name }),
          ...(original === undefined ? {} : { 'original-metadata': original }),
        },
        executionMillis: -1,
        executionHostname: 'unknown',
        errorTrace: null,
        systemChange: false,
      });
      executed.add(key);
    }
    entries.push({
      executionId,
      changeId: LEGACY_MIGRATION_ID,
      author: SYSTEM_AUTHOR,
      state: 'EXECUTED',
      type: 'EXECUTION',
      changeLogClass: 'LegacyMigration',
      changeSetMethod: 'importLegacyHistory',
      metadata: { origin: legacy.origin, ...(legacy.from === undefined ? {} : { peer: legacy.from }), imported: entries.length },
      executionMillis: 0,
      executionHostname: run.hostname,
      errorTrace: null,
      systemChange: true,
    });
    await inScope(run, connection.capabilities.transactions, async (scope) => {
      for (const entry of entries) await scope.saveEntry(entry);
    });
    config.logger.info(`Imported ${entries.length - 1} legacy history record(s) from '${legacy.origin}'.`);
  } catch (error) {
    if (isMongockError(error, 'LOCK_LOST') || lock.lost) throw lock.lostError() ?? error;
    const reason = error instanceof Error ? error.message : String(error);
    if (legacy.failFast === false) {
      config.logger.warn(`Legacy history import from '${legacy.origin}' failed: ${reason}. Continuing (legacyMigration.failFast: false).`);
      return;
    }
    throw new MongockError(
      'CHANGE_FAILED',
      `Legacy history import from '${legacy.origin}' failed: ${reason}. Fix legacyMigration (origin, mapping) and run again.`,
      {
        changeId: LEGACY_MIGRATION_ID,
        author: SYSTEM_AUTHOR,
        cause: error,
      },
    );
  }
}

function pick(record: Readonly<Record<string, unknown>>, field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  const value = record[field];
  return value === undefined || value === null ? undefined : String(value);
}
