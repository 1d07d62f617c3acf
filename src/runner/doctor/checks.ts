import { markCommands } from '../mark-commands.ts';
import { unfinishedBatches } from './batch-check.ts';
import type { DoctorCheck, DoctorUnit, Finding } from './doctor-check.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A non-transactional change whose process died mid-way (the lock's in-progress marker). */
export const interruptedChange: DoctorCheck = {
  name: 'interrupted-change',
  description: 'a change that ran outside a transaction and whose process died before recording an outcome',
  run({ lock, units }) {
    const marker = lock?.inProgress ?? null;
    if (marker === null) return [];
    const unit = units.find(
      (candidate) =>
        candidate.status.author === marker.author &&
        [candidate.status.changeId, `${candidate.status.changeId}_before`, `${candidate.status.changeId}_after`].includes(marker.changeId),
    );
    const what = `'${marker.changeId}' by '${marker.author}' was interrupted: execution ${marker.executionId} on ${marker.hostname} started it at ${marker.startedAt.toISOString()} and stopped before recording an outcome; its effects may be partial.`;
    const commands = markCommands(marker.changeId, marker.author, unit?.ambiguousId ?? false);
    const base = { check: this.name, changeId: marker.changeId, author: marker.author };
    if (unit === undefined)
      return [
        { ...base, severity: 'blocking', message: `${what} No unit in this run has that id.`, fix: ['Check the data by hand', 'mongock unlock --force'] },
      ];
    switch (unit.recovery) {
      case 'manual':
        return [{ ...base, severity: 'blocking', message: `${what} Its recovery is 'manual': the next run stops until a human decides.`, fix: commands }];
      case 'fail':
        return [
          {
            ...base,
            severity: 'blocking',
            message: `${what} onInterruptedChange is 'fail': the next run stops with CHANGE_INTERRUPTED.`,
            fix: [...commands, 'or, after checking the data: mongock unlock --force (the unit then runs again)'],
          },
        ];
      case 'retry':
        return [{ ...base, severity: 'warning', message: `${what} Its recovery is 'retry': the next run applies it again without rolling back.`, fix: [] }];
      case 'rollback-and-retry':
        if (!unit.hasRollback) return [{ ...base, severity: 'blocking', message: `${what} It has no rollback method, so the next run stops.`, fix: commands }];
        return [{ ...base, severity: 'warning', message: `${what} The next run rolls it back and applies it again.`, fix: [] }];
    }
  },
};

/** Units whose newest attempt failed (or whose after-step failed). */
export const failedChange: DoctorCheck = {
  name: 'failed-change',
  description: 'units whose last attempt failed, and whether the next run retries them or needs a human',
  run({ units }) {
    const findings: Finding[] = [];
    for (const unit of units) {
      const { status } = unit;
      const base = { check: this.name, changeId: status.changeId, author: status.author };
      if (status.afterStep === 'failed') {
        findings.push({
          ...base,
          changeId: `${status.changeId}_after`,
          severity: 'warning',
          message: `The after-step of '${status.changeId}' failed; the unit itself is EXECUTED. The next \`migrate\` runs the after-step again.`,
          fix: ['mongock migrate', ...markCommands(`${status.changeId}_after`, status.author, unit.ambiguousId).slice(0, 1)],
        });
      }
      if (status.state !== 'failed') continue;
      findings.push(failedFinding(unit, base));
    }
    return findings;
  },
};

function failedFinding(unit: DoctorUnit, base: Pick<Finding, 'check' | 'changeId' | 'author'>): Finding {
  const entry = unit.latest;
  const when = entry === null ? '' : ` (execution ${entry.executionId} on ${entry.executionHostname}, ${entry.timestamp.toISOString()})`;
  const what = `'${unit.status.changeId}' failed${entry?.state === 'ROLLBACK_FAILED' ? ' and so did its rollback' : ''}${when}.`;
  const commands = markCommands(unit.status.changeId, unit.status.author, unit.ambiguousId);
  if (unit.unresolved)
    return { ...base, severity: 'blocking', message: `${what} Its recovery is 'manual': the next run stops until a human decides.`, fix: commands };
  return {
    ...base,
    severity: 'warning',
    message: `${what} The next \`migrate\` applies it again.`,
    fix: ['Fix the cause, then: mongock migrate', ...commands],
  };
}

/** Who holds the lock, and whether that holder is still alive by the database's clock. */
export const lockHolder: DoctorCheck = {
  name: 'lock',
  description: 'a live or expired lock and its holder',
  run({ lock }) {
    if (lock === null || lock.owner === '') return [];
    const since = lock.acquiredAt === null ? '' : ` since ${lock.acquiredAt.toISOString()}`;
    if (lock.expired) {
      return [
        {
          check: this.name,
          severity: 'info',
          message: `An expired lock is left by ${lock.owner} on ${lock.hostname}${since}; the next run takes it over.`,
          fix: ['mongock unlock'],
        },
      ];
    }
    const until = lock.expiresAt === null ? ' (a session lock: it lasts as long as that database session)' : `, lease until ${lock.expiresAt.toISOString()}`;
    return [
      {
        check: this.name,
        severity: 'warning',
        message: `The lock is held by ${lock.owner} on ${lock.hostname}${since}${until}: a run is in progress; the next one waits for it.`,
        fix: ['Wait for it to finish', 'If that process is known to be gone: mongock unlock --force'],
      },
    ];
  },
};

/** Executed units whose code changed since they ran. */
export const checksumDrift: DoctorCheck = {
  name: 'checksum-drift',
  description: 'executed units whose code changed since they ran',
  run({ units, onChecksumMismatch }) {
    return units
      .filter((unit) => unit.status.changed)
      .map(({ status }) => ({
        check: this.name,
        severity: onChecksumMismatch === 'fail' ? 'blocking' : 'warning',
        changeId: status.changeId,
        author: status.author,
        message: `The code of executed '${status.changeId}'${status.source === undefined ? '' : ` (${status.source})`} changed since it ran (checksum ${status.recordedChecksum} -> ${status.checksum})${onChecksumMismatch === 'fail' ? "; onChecksumMismatch is 'fail', so the next run stops" : ''}.`,
        fix: ['Restore the code as it ran', `or, if the change is intended: mongock validate --accept ${status.changeId}`],
      }));
  },
};

/** History entries no unit in code accounts for. */
export const unknownEntries: DoctorCheck = {
  name: 'unknown-history-entry',
  description: 'history entries with no unit in code (renamed or deleted files)',
  run({ ignored }) {
    return ignored.map((entry) => ({
      check: this.name,
      severity: 'warning',
      changeId: entry.changeId,
      author: entry.author,
      message: `'${entry.changeId}' by '${entry.author}' is ${entry.reason} The runner ignores it.`,
      fix: ['If its file was renamed, restore its id (and author)', 'If it was deleted on purpose, nothing to do'],
    }));
  },
};

/** Units in code that profiles or the system-version window leave out. */
export const filteredUnits: DoctorCheck = {
  name: 'filtered-unit',
  description: 'units in code left out by profile or system version, with the reason',
  run({ filtered }) {
    return filtered.map((unit) => ({
      check: this.name,
      severity: 'info',
      changeId: unit.changeId,
      author: unit.author,
      message: `'${unit.changeId}' is left out of this run: ${unit.detail}${unit.executed ? ' (the history says an earlier run executed it)' : ''}.`,
      fix: [unit.reason === 'profile' ? 'Run with the profile it needs: --profile <name>' : 'Widen startSystemVersion/endSystemVersion if it should run'],
    }));
  },
};

/** Orders that do not sort the way a reader expects. */
export const surprisingOrder: DoctorCheck = {
  name: 'surprising-order',
  description: 'orders compared as strings, and pending units ordered before executed ones',
  run({ units, orderWarnings }) {
    const findings: Finding[] = orderWarnings.map((warning) => ({
      check: this.name,
      severity: 'warning',
      message: warning,
      fix: ["Pad numeric orders to one width ('002', '010')"],
    }));
    const lastExecuted = units.findLastIndex((unit) => unit.status.state === 'executed');
    const late = units.slice(0, Math.max(lastExecuted, 0)).filter((unit) => unit.status.state === 'pending');
    if (late.length > 0) {
      const newest = units[lastExecuted]!.status;
      findings.push({
        check: this.name,
        severity: 'warning',
        changeId: late[0]!.status.changeId,
        message: `${plural(late.length, 'pending unit')} (${late.map((unit) => `'${unit.status.changeId}' (${unit.status.order})`).join(', ')}) sort${late.length === 1 ? 's' : ''} before '${newest.changeId}' (${newest.order}), which is already executed: added out of order? The next \`migrate\` applies ${late.length === 1 ? 'it' : 'them'} after the newer ones.`,
        fix: ['If that is intended: mongock migrate (or mongock migrate --only <id> --out-of-order)', 'Otherwise give them orders after the executed ones'],
      });
    }
    return findings;
  },
};

/** The built-in checks, in the order `mongock doctor` reports them. */
/** Rows of the imported tool's history (knex_migrations, pgmigrations...) whose change id no unit in code has. */
export const unclaimedLegacyRows: DoctorCheck = {
  name: 'unclaimed-legacy-row',
  description: "rows of the legacy history (legacyMigration: another tool's table) that no unit claims",
  run({ legacy, units, filtered }) {
    if (legacy === undefined) return [];
    const where = `${legacy.origin}${legacy.peer === undefined ? '' : ` (${legacy.peer})`}`;
    if (!Array.isArray(legacy.rows))
      return [
        {
          check: this.name,
          severity: 'warning',
          message: `The legacy history ${where} could not be read: ${(legacy.rows as { error: string }).error}`,
          fix: ['Check legacyMigration.table/origin (schema.table on PostgreSQL)'],
        },
      ];
    const claimed = new Set([...units.map((unit) => unit.status.changeId), ...filtered.map((unit) => unit.changeId)]);
    return legacy.rows
      .filter((row) => !claimed.has(row.changeId))
      .map((row) => ({
        check: this.name,
        severity: 'warning' as const,
        changeId: row.changeId,
        message: `Row '${row.name}' of ${where} maps to change id '${row.changeId}', which no unit claims: the import records it as executed, and no file here corresponds to it.`,
        fix: [
          `Convert that migration to a unit with id '${row.changeId}' (e.g. ${row.changeId}.sql)`,
          `or map it to an existing unit: legacyMigration.changeIds { '${row.name}': '<unit id>' }`,
          'or leave it, if that migration was dropped on purpose',
        ],
      }));
  },
};

/**
 * The checks `runner.doctor()` and `mongock doctor` run, in the order they report: an interrupted
 * change, failed changes, unfinished batches, the lock holder and the rest.
 */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = Object.freeze([
  interruptedChange,
  failedChange,
  unfinishedBatches,
  lockHolder,
  checksumDrift,
  unknownEntries,
  filteredUnits,
  surprisingOrder,
  unclaimedLegacyRows,
]);
