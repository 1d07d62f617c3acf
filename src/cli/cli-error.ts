/**
 * An error of the command line itself: `USAGE` (unknown command, wrong flag, missing argument)
 * or `CONFIG` (no config file, one that cannot be loaded, a bad `MONGOCK_*` variable). Both
 * exit with code 2. `hint` is printed after the message (e.g. "see `mongock migrate --help`").
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: 'USAGE' | 'CONFIG';
  readonly hint: string | undefined;
  readonly file: string | undefined;

  constructor(code: 'USAGE' | 'CONFIG', message: string, options: { hint?: string; file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.file = options.file;
  }
}

/** What the CLI reads from any error: MongockErrors from another copy of the package (a CommonJS config) included. */
export interface ErrorFacts {
  readonly code: string | undefined;
  readonly message: string;
  readonly changeId?: string;
  readonly author?: string;
  readonly file?: string;
  readonly problems?: readonly string[];
  readonly hint?: string;
}

export function errorFacts(error: unknown): ErrorFacts {
  if (typeof error !== 'object' || error === null) return { code: undefined, message: String(error) };
  const raw = error as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof raw[key] === 'string' && raw[key] !== '' ? (raw[key] as string) : undefined);
  const problems = Array.isArray(raw.problems) && raw.problems.length > 0 ? raw.problems.map(String) : undefined;
  const facts: Record<string, unknown> = {
    code: raw.name === 'MongockError' || raw.name === 'CliError' ? text('code') : undefined,
    message: text('message') ?? String(error),
  };
  for (const key of ['changeId', 'author', 'file', 'hint'] as const) if (text(key) !== undefined) facts[key] = text(key);
  if (problems !== undefined) facts.problems = problems;
  return facts as unknown as ErrorFacts;
}
