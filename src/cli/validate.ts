import type { Command } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { displayPath, loadConfig, runnerFor } from './open-runner.ts';

/** `mongock validate`: config and change units, then (with --db) checksums against the history. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check the config and every change unit; with --db, compare checksums with the history',
  usage: 'validate [--db] [--accept <id>]... [options]',
  description:
    'Without --db the database is not touched. --db reads the history and exits 1 when an executed unit changed since it ran.\n' +
    '--accept <id> records the current checksum of a unit whose change was intended (takes the lock; implies --db).',
  options: {
    db: { type: 'boolean', description: 'Also read the history and compare checksums (read-only)' },
    accept: { type: 'string', multiple: true, value: '<id>', description: 'Record the current checksum of this executed unit; repeatable' },
  },
  examples: ['mongock validate', 'mongock validate --db', 'mongock validate --accept add-status-field'],
  async run(context) {
    const { out, io, values } = context;
    const runner = runnerFor(context, await loadConfig(context));
    const report = await runner.validate();
    const accept = (values.accept as readonly string[] | undefined) ?? [];
    const accepted: { changeId: string; author: string; previous: string | null; checksum: string }[] = [];
    for (const id of accept) accepted.push(...(await runner.acceptChecksum(id)).accepted);
    const useDb = values.db === true || accept.length > 0;
    const changed = useDb ? (await runner.status()).units.filter((unit) => unit.changed) : [];
    const ok = changed.length === 0;
    out.json({
      command: 'validate',
      ok,
      units: report.units.map((unit) => ({ ...unit, source: unit.source ?? null })),
      warnings: report.warnings,
      checksums: useDb
        ? {
            compared: true,
            changed: changed.map((unit) => ({
              changeId: unit.changeId,
              author: unit.author,
              recorded: unit.recordedChecksum,
              current: unit.checksum,
              source: unit.source ?? null,
            })),
          }
        : { compared: false },
      accepted,
    });
    out.info(out.colors.green(`✔ Config and ${report.units.length} change unit${report.units.length === 1 ? '' : 's'} are valid.`));
    for (const item of accepted)
      out.print(`Accepted the new checksum of '${item.changeId}' by '${item.author}' (${item.previous ?? 'none'} -> ${item.checksum}).`);
    if (!useDb) out.info(out.colors.dim('Checksums not compared (the database was not read); add --db to compare.'));
    else if (ok) out.info(out.colors.green('✔ Every executed change unit matches its recorded checksum.'));
    for (const unit of changed) {
      out.error(
        `'${unit.changeId}' by '${unit.author}' (${displayPath(unit.source, io.cwd)}) changed since it was executed: checksum ${unit.recordedChecksum} -> ${unit.checksum}. Restore it, or accept it with: mongock validate --accept ${unit.changeId}`,
      );
    }
    return ok ? EXIT_CODES.ok : EXIT_CODES.failed;
  },
};
