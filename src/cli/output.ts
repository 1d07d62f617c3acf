import type { Logger } from '../index.ts';
import { redact } from '../runtime/redact.ts';
import { type Colors, pickColors } from './colors.ts';
import type { CliIo, CliStream } from './io.ts';

export interface OutputFlags {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly noColor: boolean;
}

/**
 * Everything the CLI prints goes through here, passwords redacted. Results go to stdout (in
 * `--json` mode exactly one JSON document, nothing else); logs, warnings and errors to stderr.
 */
export class Output {
  readonly colors: Colors;
  readonly errColors: Colors;
  readonly flags: OutputFlags;
  readonly #io: CliIo;
  readonly #secrets = new Set<string>();
  #jsonWritten = false;

  constructor(io: CliIo, flags: OutputFlags) {
    this.#io = io;
    this.flags = flags;
    this.colors = pickColors(io.stdout.isTTY, io.env, flags.noColor);
    this.errColors = pickColors(io.stderr.isTTY, io.env, flags.noColor);
  }

  /** Live progress and tables: stdout is a terminal and a person is reading. */
  get interactive(): boolean {
    return this.#io.stdout.isTTY && !this.flags.json;
  }

  get stdout(): CliStream {
    return this.#io.stdout;
  }

  /** Values that must never be printed (e.g. a JSON config's password). */
  addSecret(secret: string): void {
    this.#secrets.add(secret);
  }

  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  /** A result line on stdout; dropped in `--json` mode. */
  print(text: string): void {
    if (!this.flags.json) this.#io.stdout.write(`${this.redact(text)}\n`);
  }

  /** Informational line on stdout; dropped by `--quiet` and `--json`. */
  info(text: string): void {
    if (!this.flags.quiet) this.print(text);
  }

  /** Raw text on stdout (progress redraws); only when interactive. */
  raw(text: string): void {
    if (this.interactive) this.#io.stdout.write(this.redact(text));
  }

  warn(text: string): void {
    if (!this.flags.quiet) this.#io.stderr.write(`${this.errColors.yellow('warning')} ${this.redact(text)}\n`);
  }

  error(text: string): void {
    this.#io.stderr.write(`${this.errColors.red('error')} ${this.redact(text)}\n`);
  }

  /** A line that explains the error before it (stderr, even with --quiet). */
  hint(text: string): void {
    this.#io.stderr.write(`  ${this.errColors.dim(this.redact(text))}\n`);
  }

  debug(text: string): void {
    if (this.flags.verbose) this.#io.stderr.write(`${this.errColors.dim(this.redact(text))}\n`);
  }

  /** The one JSON document of a `--json` run. */
  json(document: unknown): void {
    if (!this.flags.json || this.#jsonWritten) return;
    this.#jsonWritten = true;
    this.#io.stdout.write(`${this.redact(JSON.stringify(document, null, 2))}\n`);
  }

  /** The runner's logger: warnings and errors on stderr; info and debug only with `--verbose`. */
  logger(): Logger {
    return {
      debug: (message) => this.debug(message),
      info: (message) => this.debug(message),
      warn: (message) => this.warn(message),
      error: (message) => this.error(message),
    };
  }
}
