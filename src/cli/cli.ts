import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closest } from '../runtime/did-you-mean.ts';
import { CliError, errorFacts } from './cli-error.ts';
import type { Command, OptionSpecs } from './command.ts';
import { COMMON_OPTIONS } from './common-options.ts';
import { createCommand } from './create.ts';
import { dashboardCommand } from './dashboard.ts';
import { doctorCommand } from './doctor.ts';
import { EXIT_CODES, type ExitCode, exitCodeFor } from './exit-codes.ts';
import { commandHelp, generalHelp } from './help.ts';
import { initCommand } from './init.ts';
import type { CliIo } from './io.ts';
import { markCommand } from './mark.ts';
import { migrateCommand } from './migrate.ts';
import { Output } from './output.ts';
import { statusCommand } from './status.ts';
import { undoCommand } from './undo.ts';
import { unlockCommand } from './unlock.ts';
import { validateCommand } from './validate.ts';

/** Every command, in the order `mongock --help` lists them. */
export const COMMANDS: readonly Command[] = Object.freeze([
  initCommand,
  createCommand,
  migrateCommand,
  undoCommand,
  statusCommand,
  doctorCommand,
  markCommand,
  validateCommand,
  unlockCommand,
  dashboardCommand,
]);

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name || command.aliases?.includes(name));
}

function version(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mongock' && pkg.version !== undefined) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

/**
 * Runs `mongock <argv>` and returns the exit code; never exits the process itself (`index.ts`
 * does). Every error becomes a message on stderr (and, with `--json`, the one JSON document).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const json = argv.includes('--json');
  const fallbackOut = new Output(io, { json, quiet: argv.includes('--quiet') || argv.includes('-q'), verbose: false, noColor: argv.includes('--no-color') });
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' && argv[1] !== undefined ? findCommand(argv[1]) : undefined;
    io.stdout.write(topic === undefined ? generalHelp(COMMANDS) : commandHelp(topic));
    return first === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${version()}\n`);
    return EXIT_CODES.ok;
  }
  const command = findCommand(first);
  if (command === undefined) {
    const guess = first.startsWith('-')
      ? undefined
      : closest(
          first,
          COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]),
        );
    const message = first.startsWith('-')
      ? `Expected a command before '${first}'.`
      : `Unknown command '${first}'.${guess === undefined ? '' : ` Did you mean '${guess}'?`}`;
    return fail(
      fallbackOut,
      'mongock',
      new CliError('USAGE', `${message} Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`, { hint: 'See `mongock --help`.' }),
    );
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv.slice(1)],
      options: { ...COMMON_OPTIONS, ...command.options } as NonNullable<Parameters<typeof parseArgs>[0]>['options'],
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const reason = parseErrorMessage(error, { ...COMMON_OPTIONS, ...command.options });
    return fail(fallbackOut, command.name, new CliError('USAGE', `${reason}`, { hint: `See \`mongock ${command.name} --help\`.` }));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) {
    io.stdout.write(commandHelp(command));
    return EXIT_CODES.ok;
  }
  const out = new Output(io, { json, quiet: values.quiet === true, verbose: values.verbose === true, noColor: values['no-color'] === true });
  if (parsed.positionals.length > (command.maxPositionals ?? 0)) {
    return fail(
      out,
      command.name,
      new CliError('USAGE', `Unexpected argument '${parsed.positionals[command.maxPositionals ?? 0]}'.`, { hint: `See \`mongock ${command.name} --help\`.` }),
    );
  }
  try {
    return await command.run({ values, positionals: parsed.positionals, io, out });
  } catch (error) {
    return fail(out, command.name, error);
  }
}

function fail(out: Output, command: string, error: unknown): ExitCode {
  const facts = errorFacts(error);
  const code = exitCodeFor(facts.code);
  out.json({ command, ok: false, exitCode: code, error: facts });
  const where = [facts.changeId === undefined ? '' : `change unit: ${facts.changeId}`, facts.file === undefined ? '' : `file: ${facts.file}`]
    .filter(Boolean)
    .join(', ');
  out.error(`${facts.code === undefined || facts.code === 'USAGE' || facts.code === 'CONFIG' ? '' : `[${facts.code}] `}${facts.message}`);
  if (where !== '' && !facts.message.includes(facts.file ?? '\u0000')) out.hint(where);
  for (const problem of facts.problems ?? []) if (!facts.message.includes(problem)) out.hint(`- ${problem}`);
  if (facts.hint !== undefined) out.hint(facts.hint);
  // Stacks never go in messages; --verbose shows the error's and its causes'.
  if (out.flags.verbose) {
    for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
      if (current.stack !== undefined) out.debug(depth === 0 ? current.stack : `caused by: ${current.stack}`);
    }
  }
  return code;
}

/** node:util's parse errors in the CLI's own words, with a "did you mean" for an unknown flag. */
function parseErrorMessage(error: unknown, options: OptionSpecs): string {
  const raw = error instanceof Error ? error.message : String(error);
  const missing = /^Option '(?:-\w, )?--([\w-]+) <value>' argument missing/.exec(raw);
  if (missing !== null) {
    const spec = options[missing[1]!];
    return `--${missing[1]} needs a value${spec?.value === undefined ? '' : `: --${missing[1]} ${spec.value}`}.`;
  }
  const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(raw);
  if (unknown !== null) {
    const guess = unknown[1] === '--' ? closest(unknown[2]!, Object.keys(options)) : undefined;
    return `Unknown option '${unknown[1]}${unknown[2]}'.${guess === undefined ? '' : ` Did you mean '--${guess}'?`}`;
  }
  return raw.replace(/\. To specify a positional argument starting with a '-'.*$/s, '.');
}
