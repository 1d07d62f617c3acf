import type { Command } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { loadConfig, runnerFor } from './open-runner.ts';
import { describeLock, lockJson } from './status.ts';

/** `mongock unlock`: shows the lock holder; clears the lock only when expired, or with --force. */
export const unlockCommand: Command = {
  name: 'unlock',
  summary: 'Show who holds the lock; clear it when it has expired, or with --force',
  usage: 'unlock [--force] [options]',
  description:
    'Without --force a live lock is left alone and the exit code is 3. --force also clears the marker of an interrupted\n' +
    'non-transactional change (check its data first); use it only when the holder is known to be gone.',
  options: {
    force: { type: 'boolean', description: 'Clear the lock even if its holder may still be running' },
  },
  examples: ['mongock unlock', 'mongock unlock --force'],
  async run(context) {
    const { out } = context;
    const runner = runnerFor(context, await loadConfig(context));
    const result = await runner.unlock({ force: context.values.force === true });
    const held = result.holder !== null && !result.released;
    out.json({ command: 'unlock', ok: !held, holder: lockJson(result.holder), released: result.released });
    if (result.holder === null) out.print('No lock is held.');
    else if (result.released) out.print(`Released the lock ${describeLock(result.holder)}.`);
    else out.error(`The lock is ${describeLock(result.holder)}; not released. If that process is gone, run \`mongock unlock --force\`.`);
    return held ? EXIT_CODES.lock : EXIT_CODES.ok;
  },
};
