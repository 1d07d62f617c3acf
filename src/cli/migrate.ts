import { type MigrationResult, MongockError, type UnitStatus } from '../index.ts';
import type { Command, CommandContext } from './command.ts';
import { EXIT_CODES, type ExitCode } from './exit-codes.ts';
import { displayPath, loadConfig, runnerFor } from './open-runner.ts';
import { outcomeLabel, showProgress } from './progress.ts';
import { formatDuration, renderTable } from './table.ts';

/** `mongock migrate`: applies pending change units, in order, under the lock. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending change units, in order, under the lock',
  usage: 'migrate [--to <id>] [--dry-run] [options]',
  description: 'Nothing pending: exits 0 without taking the lock. --dry-run lists what would run and changes nothing.',
  options: {
    to: { type: 'string', value: '<id>', description: 'Stop after this change unit (inclusive)' },
    'dry-run': { type: 'boolean', description: 'Show what would run, in order; take no lock, write nothing' },
  },
  examples: ['mongock migrate', 'mongock migrate --to add-status-field', 'mongock migrate --dry-run --json'],
  async run(context) {
    const loaded = await loadConfig(context);
    const runner = runnerFor(context, loaded);
    const to = context.values.to as string | undefined;
    if (context.values['dry-run'] === true) return dryRun(context, await runner.status(), to);
    const stop = showProgress(runner, context.out);
    let result: MigrationResult;
    try {
      result = await runner.execute(to === undefined ? {} : { to });
    } finally {
      stop();
    }
    return report(context, result);
  },
};

function report({ out }: CommandContext, result: MigrationResult): ExitCode {
  const code: ExitCode = result.status === 'lock-not-acquired' ? EXIT_CODES.lock : result.failed > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
  out.json({
    command: 'migrate',
    ok: code === EXIT_CODES.ok,
    status: result.status,
    executionId: result.executionId,
    executed: result.executed,
    failed: result.failed,
    durationMs: result.durationMs,
    items: result.items.map((item) => ({
      changeId: item.changeId,
      author: item.author,
      type: item.type,
      outcome: item.outcome,
      durationMs: item.durationMs,
      ...(item.reason === undefined ? {} : { reason: item.reason }),
      ...(item.error === undefined ? {} : { error: item.error instanceof Error ? item.error.message : String(item.error) }),
    })),
  });
  if (result.status === 'disabled') out.info('Mongock is disabled (enabled: false); nothing was run.');
  else if (result.status === 'up-to-date') out.info('Nothing to migrate: every change unit is already executed.');
  else if (result.status === 'lock-not-acquired')
    out.error('Another process holds the Mongock lock; nothing was run (throwExceptionIfCannotObtainLock: false).');
  else {
    const ran = result.items.filter((item) => item.outcome !== 'skipped');
    if (out.interactive && ran.length > 0 && !out.flags.quiet) {
      out.print('');
      out.print(
        renderTable(
          ['outcome', 'change', 'author', 'duration'],
          ran.map((item) => [outcomeLabel(out, item.outcome), item.changeId, item.author, formatDuration(item.durationMs)]),
          out.colors.bold,
        ),
      );
      out.print('');
    }
    const summary = `Migration ${result.executionId}: ${result.executed} executed, ${result.failed} failed, in ${formatDuration(result.durationMs)}.`;
    if (result.failed > 0) out.error(summary);
    else out.info(out.colors.green(summary));
  }
  return code;
}

function dryRun({ out, io }: CommandContext, status: { readonly units: readonly UnitStatus[] }, to: string | undefined): ExitCode {
  let units = status.units;
  if (to !== undefined) {
    const index = units.findIndex((unit) => unit.changeId === to);
    if (index === -1) {
      throw new MongockError('INVALID_CONFIG', `No change unit with id '${to}' to migrate to. Check the id (see \`mongock status\`).`, { changeId: to });
    }
    units = units.slice(0, index + 1);
  }
  const wouldRun = units.filter((unit) => unit.state !== 'executed' || unit.runAlways);
  out.json({
    command: 'migrate',
    ok: true,
    dryRun: true,
    wouldRun: wouldRun.map((unit) => ({
      changeId: unit.changeId,
      author: unit.author,
      order: unit.order,
      state: unit.state,
      runAlways: unit.runAlways,
      source: unit.source ?? null,
    })),
  });
  if (wouldRun.length === 0) {
    out.info('Dry run: nothing to migrate; every change unit is already executed.');
    return EXIT_CODES.ok;
  }
  out.info(`Dry run: ${wouldRun.length} change unit${wouldRun.length === 1 ? '' : 's'} would run, in this order (nothing was changed):`);
  out.print(
    renderTable(
      ['#', 'order', 'change', 'author', 'state', 'file'],
      wouldRun.map((unit, i) => [
        String(i + 1),
        unit.order,
        unit.changeId,
        unit.author,
        unit.state === 'executed' ? 'runAlways' : unit.state,
        displayPath(unit.source, io.cwd),
      ]),
      out.colors.bold,
    ),
  );
  return EXIT_CODES.ok;
}
