import type { MarkResult } from '../index.ts';
import { markResultJson } from '../runner/mark-options.ts';
import { CliError } from './cli-error.ts';
import type { Command } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { loadConfig, runnerFor } from './open-runner.ts';
import { renderTable } from './table.ts';

const HELP = 'See `mongock mark --help`.';

/** `mongock mark`: records a human decision about a unit, with who, when and why. */
export const markCommand: Command = {
  name: 'mark',
  summary: 'Record by hand that a change unit is applied or rolled back (who, when, why)',
  usage: 'mark (<id> | --all-pending) (--applied | --rolled-back) [--reason <text>] [--by <name>] [options]',
  description:
    'For a unit whose real state the runner cannot know: a failed non-transactional change finished by hand (--applied),\n' +
    'one undone by hand (--rolled-back: the next migrate applies it again), or, with --all-pending --applied, an existing\n' +
    'database adopting Mongock (Liquibase changelog-sync). <id> may also name a step: <id>_before, <id>_after.\n' +
    'The entry is EXECUTED or ROLLED_BACK (Java Mongock reads it) with the decision in its metadata, dated by the\n' +
    'database clock. Refused while a live runner holds the lock (exit 3); --force clears a lease lock (MongoDB, SQLite)\n' +
    'whose holder is known to be gone, never a PostgreSQL/MySQL session lock.',
  options: {
    applied: { type: 'boolean', description: 'Its effects are in the database: record it EXECUTED' },
    'rolled-back': { type: 'boolean', description: 'Its effects are undone: record it ROLLED_BACK (migrate applies it again)' },
    'all-pending': { type: 'boolean', description: 'Every pending unit (with --applied): adopt an existing database' },
    reason: { type: 'string', value: '<text>', description: 'Why, kept in the entry' },
    by: { type: 'string', value: '<name>', description: 'Who decided (default: the OS user)' },
    author: { type: 'string', value: '<name>', description: 'The unit’s author, when several units share the id' },
    force: { type: 'boolean', description: 'Clear a lease lock whose holder is gone before marking' },
    'dry-run': { type: 'boolean', description: 'Show what would be marked; take no lock, write nothing' },
  },
  maxPositionals: 1,
  examples: [
    'mongock mark seed-users --applied --reason "finished by hand after the timeout"',
    'mongock mark seed-users --rolled-back --by alice --reason "rows deleted by hand"',
    'mongock mark --all-pending --applied --dry-run',
  ],
  async run(context) {
    const { values, positionals, out } = context;
    const changeId = positionals[0];
    const allPending = values['all-pending'] === true;
    if ((values.applied === true) === (values['rolled-back'] === true))
      throw new CliError('USAGE', 'mark needs exactly one of --applied or --rolled-back.', { hint: HELP });
    if ((changeId === undefined) === !allPending) throw new CliError('USAGE', 'mark needs a change unit id or --all-pending (not both).', { hint: HELP });
    if (allPending && values['rolled-back'] === true)
      throw new CliError('USAGE', '--all-pending marks pending units applied; it cannot be combined with --rolled-back.', { hint: HELP });
    const runner = runnerFor(context, await loadConfig(context));
    const result = await runner.mark({
      ...(changeId === undefined ? { allPending: true } : { changeId }),
      resolution: values.applied === true ? 'applied' : 'rolled-back',
      ...optional('reason', values.reason),
      ...optional('by', values.by),
      ...optional('author', values.author),
      force: values.force === true,
      dryRun: values['dry-run'] === true,
    });
    out.json({
      command: 'mark',
      ok: true,
      dryRun: result.dryRun,
      ...markResultJson(result),
    });
    printMark(context.out, result);
    return EXIT_CODES.ok;
  },
};

function optional(key: string, value: unknown): Record<string, string> {
  return typeof value === 'string' ? { [key]: value } : {};
}

function printMark(out: Parameters<Command['run']>[0]['out'], result: MarkResult): void {
  for (const item of result.unchanged) out.info(`'${item.changeId}' by '${item.author}': ${item.why}; nothing to mark.`);
  if (result.marked.length === 0) {
    if (result.unchanged.length === 0) out.info('Nothing to mark: no pending change unit.');
    return;
  }
  const verb = result.dryRun ? 'Would mark' : 'Marked';
  out.print(
    renderTable(
      ['change', 'author', 'was', 'now'],
      result.marked.map((item) => [item.changeId, item.author, item.previousState, item.state]),
      out.colors.bold,
    ),
  );
  const why = result.reason === null ? '' : `: ${result.reason}`;
  const when = result.at === null ? '' : ` at ${result.at.toISOString()}`;
  out.info(
    `${verb} ${result.marked.length} step${result.marked.length === 1 ? '' : 's'} ${result.resolution} by hand, by ${result.by}${when}${why}${result.dryRun ? ' (dry run: nothing was written)' : ` (execution ${result.executionId})`}.`,
  );
}
