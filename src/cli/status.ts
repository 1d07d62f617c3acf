import type { FilteredStatus, IgnoredEntry, LockHolder, UnitStatus } from '../index.ts';
import { batchSummary } from '../runner/batch-summary.ts';
import type { Command, CommandContext } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { displayPath, loadConfig, runnerFor } from './open-runner.ts';
import { formatDuration, renderTable } from './table.ts';
import { statusTenants, TENANT_MODE_OPTIONS } from './tenants.ts';
import { unitFileKind } from './unit-file-kind.ts';

/** `mongock status` (alias `list`): every unit and its state, read-only. */
export const statusCommand: Command = {
  name: 'status',
  aliases: ['list'],
  summary: 'Show every change unit and its state; takes no lock, writes nothing',
  usage: 'status [--check] [options]',
  description:
    'States: executed, pending, failed, rolled-back; "changed" marks an executed unit whose code changed since it ran (checksum);\n' +
    'a batched unit started and not finished shows its progress (processed / estimated total, batches, last checkpoint key).\n' +
    'Also listed, with the reason: units left out by profile or system version (filtered), and history entries no unit in\n' +
    'code accounts for (ignored). With --check, exits 4 when anything is pending or failed (a deploy gate).',
  options: {
    check: { type: 'boolean', description: 'Exit 4 when any change unit is pending or failed' },
    ...TENANT_MODE_OPTIONS,
  },
  examples: ['mongock status', 'mongock status --check --quiet', 'mongock list --json'],
  async run(context) {
    const loaded = await loadConfig(context);
    if (loaded.multiTenant !== undefined) return statusTenants(context, loaded);
    const runner = runnerFor(context, loaded);
    const status = await runner.status();
    const pending = status.units.filter((unit) => unit.state === 'pending' || unit.state === 'rolled-back').length;
    const failed = status.units.filter((unit) => unit.state === 'failed' || unit.afterStep === 'failed').length;
    const changed = status.units.filter((unit) => unit.changed).length;
    const gate = context.values.check === true && pending + failed > 0;
    context.out.json({
      command: 'status',
      ok: !gate,
      counts: {
        total: status.units.length,
        pending,
        failed,
        changed,
        executed: status.units.filter((unit) => unit.state === 'executed').length,
        filtered: status.filtered.length,
        ignored: status.ignored.length,
      },
      units: status.units.map((unit) => ({
        order: unit.order,
        changeId: unit.changeId,
        author: unit.author,
        state: unit.state,
        changed: unit.changed,
        runAlways: unit.runAlways,
        executedAt: unit.executedAt?.toISOString() ?? null,
        executionMillis: unit.executionMillis,
        executionHostname: unit.executionHostname,
        checksum: unit.checksum,
        recordedChecksum: unit.recordedChecksum,
        source: unit.source ?? null,
        kind: unitFileKind(unit.source),
        afterStep: unit.afterStep,
        manual: unit.manual === null ? null : { ...unit.manual, at: unit.manual.at.toISOString() },
        batch: unit.batch === null ? null : { ...unit.batch, startedAt: unit.batch.startedAt.toISOString(), updatedAt: unit.batch.updatedAt.toISOString() },
      })),
      filtered: status.filtered.map((unit) => ({ ...unit, source: unit.source ?? null })),
      ignored: status.ignored.map((entry) => ({ ...entry, timestamp: entry.timestamp.toISOString() })),
      lock: lockJson(status.lock),
    });
    printStatus(context, status.units, status.lock, { pending, failed, changed });
    printLeftOut(context, status.filtered, status.ignored);
    return gate ? EXIT_CODES.pending : EXIT_CODES.ok;
  },
};

function printLeftOut({ out, io }: CommandContext, filtered: readonly FilteredStatus[], ignored: readonly IgnoredEntry[]): void {
  if (filtered.length > 0) {
    out.print('');
    out.print(
      renderTable(
        ['order', 'change', 'author', 'state', 'reason', 'file'],
        filtered.map((unit) => [unit.order, unit.changeId, unit.author, out.colors.dim('filtered'), unit.detail, displayPath(unit.source, io.cwd)]),
        out.colors.bold,
      ),
    );
  }
  if (ignored.length > 0) {
    out.print('');
    out.print(
      renderTable(
        ['change', 'author', 'state', 'reason'],
        ignored.map((entry) => [entry.changeId, entry.author, out.colors.dim('ignored'), entry.reason]),
        out.colors.bold,
      ),
    );
  }
}

export function lockJson(lock: LockHolder | null): unknown {
  if (lock === null) return null;
  return {
    owner: lock.owner,
    hostname: lock.hostname,
    acquiredAt: lock.acquiredAt?.toISOString() ?? null,
    expiresAt: lock.expiresAt?.toISOString() ?? null,
    expired: lock.expired,
    inProgress: lock.inProgress === null ? null : { ...lock.inProgress, startedAt: lock.inProgress.startedAt.toISOString() },
    gone: lock.gone === true,
    ...(lock.problem === undefined ? {} : { problem: lock.problem }),
  };
}

export function describeLock(lock: LockHolder): string {
  const until = lock.expiresAt === null ? '' : `, ${lock.expired ? 'expired' : 'expires'} ${lock.expiresAt.toISOString()}`;
  const since = lock.acquiredAt === null ? '' : ` since ${lock.acquiredAt.toISOString()}`;
  const progress = lock.inProgress === null ? '' : `; interrupted change '${lock.inProgress.changeId}' (execution ${lock.inProgress.executionId})`;
  const gone = lock.gone === true ? ' (its process on this host is gone: the next run takes over at once)' : '';
  const problem = lock.problem === undefined ? '' : `; CORRUPT: ${lock.problem}`;
  return `held by ${lock.owner} on ${lock.hostname}${since}${until}${gone}${progress}${problem}`;
}

function printStatus(
  { out, io }: CommandContext,
  units: readonly UnitStatus[],
  lock: LockHolder | null,
  counts: { pending: number; failed: number; changed: number },
): void {
  const { colors } = out;
  const state = (unit: UnitStatus): string => {
    const base =
      unit.state === 'executed'
        ? colors.green('executed')
        : unit.state === 'pending'
          ? colors.yellow('pending')
          : unit.state === 'failed'
            ? colors.red('failed')
            : colors.yellow('rolled-back');
    const after =
      unit.afterStep === 'failed'
        ? ` ${colors.red('(after-step failed)')}`
        : unit.afterStep === 'pending' && unit.state === 'executed'
          ? ` ${colors.yellow('(after-step pending)')}`
          : '';
    const manual = unit.manual === null ? '' : ` ${colors.dim(`(marked by ${unit.manual.by})`)}`;
    const batch =
      unit.batch?.inProgress === true
        ? ` ${colors.yellow(`${unit.batch.direction === 'rollback' ? 'rollback ' : ''}in progress ${batchSummary(unit.batch)}`)}`
        : '';
    return `${unit.changed ? `${base} ${colors.red('(changed)')}` : base}${after}${batch}${manual}`;
  };
  // The kind column appears once a project has units that are not code (.sql, .json, .yaml).
  const showKind = units.some((unit) => unitFileKind(unit.source) !== 'code');
  if (units.length === 0) out.print('No change units found.');
  else
    out.print(
      renderTable(
        ['order', 'change', 'author', ...(showKind ? ['kind'] : []), 'state', 'executed at', 'duration', 'host'],
        units.map((unit) => [
          unit.order,
          unit.changeId,
          unit.author,
          ...(showKind ? [unitFileKind(unit.source)] : []),
          state(unit),
          unit.executedAt?.toISOString() ?? '-',
          unit.executedAt === null ? '-' : formatDuration(unit.executionMillis),
          unit.executionHostname ?? '-',
        ]),
        colors.bold,
      ),
    );
  out.info('');
  out.info(
    `${units.length} change unit${units.length === 1 ? '' : 's'}: ${units.length - counts.pending - counts.failed} executed, ${counts.pending} pending, ${counts.failed} failed${counts.changed > 0 ? `, ${counts.changed} changed since executed` : ''}.`,
  );
  if (counts.changed > 0) {
    for (const unit of units.filter((item) => item.changed))
      out.warn(
        `'${unit.changeId}' (${displayPath(unit.source, io.cwd)}) changed since it was executed (checksum ${unit.recordedChecksum} -> ${unit.checksum}). If intended: mongock validate --accept ${unit.changeId}`,
      );
  }
  out.info(lock === null ? 'Lock: free.' : `Lock: ${describeLock(lock)}.`);
}
