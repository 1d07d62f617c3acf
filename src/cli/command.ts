import type { ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import type { Output } from './output.ts';

/** One option of a command, for `node:util` parseArgs and for `--help`. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** Shown in help after the flag, e.g. `<id>`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type ParsedValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export interface CommandContext {
  readonly values: ParsedValues;
  readonly positionals: readonly string[];
  readonly io: CliIo;
  readonly out: Output;
}

/** A `mongock` command: its help text and what it does. Defined one per file. */
export interface Command {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line, for `mongock --help`. */
  readonly summary: string;
  /** After `mongock `, e.g. `undo (--to <id> | --last <n>) [options]`. */
  readonly usage: string;
  readonly description?: string;
  readonly options: OptionSpecs;
  /** How many positional arguments it takes, at most. */
  readonly maxPositionals?: number;
  readonly examples?: readonly string[];
  run(context: CommandContext): Promise<ExitCode>;
}
