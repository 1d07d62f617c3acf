import { CliError } from './cli-error.ts';
import type { Command } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { loadConfig, runnerFor } from './open-runner.ts';
import { outcomeLabel, showProgress } from './progress.ts';
import { formatDuration } from './table.ts';
import { TENANT_MODE_OPTIONS, undoTenants } from './tenants.ts';

/** `mongock undo`: rolls executed units back through their rollback methods, newest first. */
export const undoCommand: Command = {
  name: 'undo',
  summary: 'Roll back executed change units through their rollback methods, newest first',
  usage: 'undo (--to <id> | --last <n> | --step <n>) [--dry-run] [options]',
  description: 'Each unit rolled back is recorded ROLLED_BACK, so a later `mongock migrate` applies it again.',
  options: {
    to: { type: 'string', value: '<id>', description: 'Roll back every executed unit from this one (inclusive) to the newest' },
    last: { type: 'string', value: '<n>', description: 'Roll back the n most recently executed units' },
    step: { type: 'string', value: '<n>', description: 'Same as --last <n>' },
    'dry-run': { type: 'boolean', description: 'Show what would be rolled back, newest first; take no lock, write nothing' },
    ...TENANT_MODE_OPTIONS,
  },
  examples: ['mongock undo --last 1', 'mongock undo --step 2 --dry-run', 'mongock undo --to add-status-field'],
  async run(context) {
    const { values, out } = context;
    const to = values.to as string | undefined;
    const counts = (['last', 'step'] as const).filter((key) => values[key] !== undefined);
    if ((to === undefined ? 0 : 1) + counts.length !== 1) {
      throw new CliError('USAGE', 'undo needs exactly one of --to <id>, --last <n> or --step <n>.', { hint: 'See `mongock undo --help`.' });
    }
    const flag = counts[0];
    let last: number | undefined;
    if (flag !== undefined) {
      const lastText = values[flag] as string;
      last = Number(lastText);
      if (!/^\d+$/.test(lastText) || last < 1)
        throw new CliError('USAGE', `--${flag} needs a positive whole number; got '${lastText}'.`, { hint: 'See `mongock undo --help`.' });
    }
    const loaded = await loadConfig(context);
    if (loaded.multiTenant !== undefined) {
      if (values['dry-run'] === true) throw new CliError('USAGE', '--dry-run works on one database: name the tenant with --tenant <id>.');
      return undoTenants(context, loaded, to !== undefined ? { to } : { last: last! });
    }
    const runner = runnerFor(context, loaded);
    if (values['dry-run'] === true) {
      const plan = await runner.planUndo(to !== undefined ? { to } : { last: last! });
      out.json({
        command: 'undo',
        ok: true,
        dryRun: true,
        wouldRollBack: plan.units.map((unit) => ({ changeId: unit.changeId, author: unit.author, order: unit.order })),
      });
      if (plan.units.length === 0) out.info('Dry run: nothing to undo.');
      else {
        out.info(`Dry run: ${plan.units.length} change unit${plan.units.length === 1 ? '' : 's'} would be rolled back, in this order (nothing was changed):`);
        for (const unit of plan.units) out.print(`  ${unit.changeId} (${unit.author}, order ${unit.order})`);
      }
      return EXIT_CODES.ok;
    }
    const stop = showProgress(runner, out);
    let result: Awaited<ReturnType<typeof runner.undo>>;
    try {
      result = await runner.undo(to !== undefined ? { to } : { last: last! });
    } finally {
      stop();
    }
    const rolledBack = result.items.filter((item) => item.outcome === 'rolled-back' && item.type === 'EXECUTION');
    out.json({
      command: 'undo',
      ok: true,
      executionId: result.executionId,
      rolledBack: rolledBack.length,
      items: result.items.map((item) => ({
        changeId: item.changeId,
        author: item.author,
        type: item.type,
        outcome: item.outcome,
        durationMs: item.durationMs,
      })),
    });
    if (result.items.length === 0) {
      out.info('Nothing to undo.');
      return EXIT_CODES.ok;
    }
    if (out.interactive && !out.flags.quiet) {
      for (const item of result.items) out.print(`${outcomeLabel(out, item.outcome)} ${item.changeId} ${out.colors.dim(formatDuration(item.durationMs))}`);
    }
    out.info(out.colors.green(`Rolled back ${rolledBack.length} change unit${rolledBack.length === 1 ? '' : 's'} (execution ${result.executionId}).`));
    return EXIT_CODES.ok;
  },
};
