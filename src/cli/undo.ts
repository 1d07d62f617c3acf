import { CliError } from './cli-error.ts';
import type { Command } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { loadConfig, runnerFor } from './open-runner.ts';
import { outcomeLabel, showProgress } from './progress.ts';
import { formatDuration } from './table.ts';

/** `mongock undo`: rolls executed units back through their rollback methods, newest first. */
export const undoCommand: Command = {
  name: 'undo',
  summary: 'Roll back executed change units through their rollback methods, newest first',
  usage: 'undo (--to <id> | --last <n>) [options]',
  description: 'Each unit rolled back is recorded ROLLED_BACK, so a later `mongock migrate` applies it again.',
  options: {
    to: { type: 'string', value: '<id>', description: 'Roll back every executed unit from this one (inclusive) to the newest' },
    last: { type: 'string', value: '<n>', description: 'Roll back the n most recently executed units' },
  },
  examples: ['mongock undo --last 1', 'mongock undo --to add-status-field'],
  async run(context) {
    const { values, out } = context;
    const to = values.to as string | undefined;
    const lastText = values.last as string | undefined;
    if ((to === undefined) === (lastText === undefined)) {
      throw new CliError('USAGE', 'undo needs exactly one of --to <id> or --last <n>.', { hint: 'See `mongock undo --help`.' });
    }
    let last: number | undefined;
    if (lastText !== undefined) {
      last = Number(lastText);
      if (!/^\d+$/.test(lastText) || last < 1)
        throw new CliError('USAGE', `--last needs a positive whole number; got '${lastText}'.`, { hint: 'See `mongock undo --help`.' });
    }
    const runner = runnerFor(context, await loadConfig(context));
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
