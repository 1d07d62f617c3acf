import type { ExecuteOptions, MigrationResult, UnitStatus } from '../index.ts';
import { CliError } from './cli-error.ts';
import type { Command, CommandContext, ParsedValues } from './command.ts';
import { EXIT_CODES, type ExitCode } from './exit-codes.ts';
import { displayPath, type LoadedConfig, loadConfig, runnerFor } from './open-runner.ts';
import { outcomeLabel, showProgress } from './progress.ts';
import { formatDuration, renderTable } from './table.ts';
import { migrateTenants, TENANT_MODE_OPTIONS } from './tenants.ts';

/** `mongock migrate`: applies pending change units, in order, under the lock. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending change units, in order, under the lock',
  usage: 'migrate [--to <id> | --step <n> | --only <id> [--out-of-order]] [--dry-run] [options]',
  description:
    'Nothing pending: exits 0 without taking the lock. --dry-run lists what would run and changes nothing.\n' +
    '--only refuses while units ordered before it are pending, unless --out-of-order.',
  options: {
    to: { type: 'string', value: '<id>', description: 'Stop after this change unit (inclusive)' },
    step: { type: 'string', value: '<n>', description: 'Apply only the next n pending change units' },
    only: { type: 'string', value: '<id>', description: 'Apply only this change unit' },
    'out-of-order': { type: 'boolean', description: 'With --only: run it even though earlier units are pending' },
    'dry-run': { type: 'boolean', description: 'Show what would run, in order; take no lock, write nothing' },
    'max-run-ms': {
      type: 'string',
      value: '<ms>',
      description: 'Time budget for batched units: stop at a batch boundary, exit 5 (tenants: for the whole command)',
    },
    ...TENANT_MODE_OPTIONS,
  },
  examples: [
    'mongock migrate',
    'mongock migrate --to add-status-field',
    'mongock migrate --step 1',
    'mongock migrate --only add-index --out-of-order',
    'mongock migrate --dry-run --json',
    'mongock migrate --max-run-ms 60000',
    'mongock migrate --all-tenants --concurrency 8',
  ],
  async run(context) {
    const options = executeOptions(context.values);
    const loaded = await loadConfig(context);
    if (loaded.multiTenant !== undefined) {
      if (context.values['dry-run'] === true) throw new CliError('USAGE', '--dry-run works on one database: name the tenant with --tenant <id>.');
      return migrateTenants(context, loaded, options, maxRunMsFlag(context.values));
    }
    const budget = maxRunMsFlag(context.values);
    const runner = runnerFor(context, budget === undefined ? loaded : { ...loaded, config: { ...loaded.config, maxRunMs: budget } });
    if (context.values['dry-run'] === true) return dryRun(context, await runner.plan(options));
    const stop = showProgress(runner, context.out);
    let result: MigrationResult;
    try {
      result = await runner.execute(options);
    } finally {
      stop();
    }
    return report(context, result);
  },
};

/** `--to`, `--step`, `--only`, `--out-of-order`, checked before the config is even loaded. */
function executeOptions(values: ParsedValues): ExecuteOptions {
  const hint = 'See `mongock migrate --help`.';
  const given = (['to', 'step', 'only'] as const).filter((key) => values[key] !== undefined);
  if (given.length > 1)
    throw new CliError('USAGE', `Use at most one of --to, --step and --only; got ${given.map((key) => `--${key}`).join(' and ')}.`, { hint });
  if (values['out-of-order'] === true && values.only === undefined) throw new CliError('USAGE', '--out-of-order goes with --only <id>.', { hint });
  const stepText = values.step as string | undefined;
  if (stepText !== undefined && !/^[1-9]\d*$/.test(stepText)) throw new CliError('USAGE', `--step needs a positive whole number; got '${stepText}'.`, { hint });
  return {
    ...(values.to === undefined ? {} : { to: values.to as string }),
    ...(stepText === undefined ? {} : { step: Number(stepText) }),
    ...(values.only === undefined ? {} : { only: values.only as string, outOfOrder: values['out-of-order'] === true }),
  };
}

/**
 * `--max-run-ms`: over the config's `maxRunMs` on one database; with tenants, one budget for the
 * whole command (a deploy timeout kills the process, not one tenant).
 */
function maxRunMsFlag(values: ParsedValues): number | undefined {
  const text = values['max-run-ms'] as string | undefined;
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new CliError('USAGE', `--max-run-ms needs a whole number of milliseconds; got '${text}'.`, { hint: 'See `mongock migrate --help`.' });
  return Number(text);
}

function exitCode(result: MigrationResult): ExitCode {
  if (result.status === 'lock-not-acquired') return EXIT_CODES.lock;
  if (result.failed > 0) return EXIT_CODES.failed;
  return result.status === 'in-progress' ? EXIT_CODES.inProgress : EXIT_CODES.ok;
}

function report({ out }: CommandContext, result: MigrationResult): ExitCode {
  const code = exitCode(result);
  out.json({
    command: 'migrate',
    ok: code === EXIT_CODES.ok || code === EXIT_CODES.inProgress,
    status: result.status,
    executionId: result.executionId,
    executed: result.executed,
    failed: result.failed,
    recovered: result.recovered,
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
    const recovered = result.recovered > 0 ? `${result.recovered} recovered from an interrupted run, ` : '';
    const summary = `Migration ${result.executionId}: ${result.executed} executed, ${recovered}${result.failed} failed, in ${formatDuration(result.durationMs)}.`;
    if (result.failed > 0) out.error(summary);
    else if (result.status === 'in-progress')
      out.info(out.colors.yellow(`${summary} A batched unit stopped at its time budget with work left (checkpoint saved): run migrate again to continue.`));
    else out.info(out.colors.green(summary));
  }
  return code;
}

function dryRun({ out, io }: CommandContext, plan: { readonly units: readonly UnitStatus[] }): ExitCode {
  const wouldRun = plan.units;
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
        unit.state === 'executed' ? (unit.afterStep === 'executed' || unit.afterStep === null ? 'runAlways' : `after-step ${unit.afterStep}`) : unit.state,
        displayPath(unit.source, io.cwd),
      ]),
      out.colors.bold,
    ),
  );
  return EXIT_CODES.ok;
}
