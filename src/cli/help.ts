import type { Command, OptionSpec, OptionSpecs } from './command.ts';
import { COMMON_OPTIONS } from './common-options.ts';

function flag(name: string, spec: OptionSpec): string {
  const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
  return `${short}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
}

function optionLines(options: OptionSpecs): string[] {
  const entries = Object.entries(options).map(([name, spec]) => [flag(name, spec), spec.description] as const);
  const width = Math.max(...entries.map(([left]) => left.length));
  return entries.map(([left, description]) => `  ${left.padEnd(width)}  ${description}`);
}

/** `mongock <command> --help`. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: mongock ${command.usage}`, '', command.summary];
  if (command.description !== undefined) lines.push('', command.description);
  if (command.aliases !== undefined && command.aliases.length > 0) lines.push('', `Alias: ${command.aliases.join(', ')}`);
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Common options:', ...optionLines(COMMON_OPTIONS));
  if (command.examples !== undefined && command.examples.length > 0) lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

/** `mongock --help`. */
export function generalHelp(commands: readonly Command[]): string {
  const names = commands.map((command) => [command.name + (command.aliases?.length ? ` (${command.aliases.join(', ')})` : ''), command.summary] as const);
  const width = Math.max(...names.map(([name]) => name.length));
  return `${[
    'Usage: mongock <command> [options]',
    '',
    'Code-first database migrations: applies pending change units in order, once, under a distributed lock.',
    '',
    'Commands:',
    ...names.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'Common options:',
    ...optionLines({ ...COMMON_OPTIONS, version: { type: 'boolean', description: 'Print the version' } }),
    '',
    'Exit codes: 0 success or nothing to do, 1 a change failed (or doctor found a blocker), 2 usage or config error,',
    '            3 lock not obtained, 4 pending or failed units (status --check),',
    '            5 a batched unit stopped at --max-run-ms with work left (migrate again to continue).',
    '',
    'Run `mongock <command> --help` for the options of a command. Docs: node_modules/mongock/docs/cli.md',
  ].join('\n')}\n`;
}
