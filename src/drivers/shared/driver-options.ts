import { MongockError } from '../../errors/mongock-error.ts';
import { unknownOptionMessage } from '../../runtime/did-you-mean.ts';

/** Node's timer limit, also the bound of every timing Mongock accepts. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * What one driver factory accepts, checked by {@link checkDriverOptions} before anything
 * connects. Every bundled driver states its options this way, so they all refuse bad input the
 * same way: the factory's name first, a "did you mean" for a mistyped key, one `INVALID_CONFIG`.
 */
export interface DriverOptionSpec<O extends object> {
  /** The factory's name, first word of every message (`postgresDriver`). */
  readonly factory: string;
  /** Every key the options object may have. */
  readonly keys: readonly (keyof O & string)[];
  /** Exactly one of these says where the connection comes from. */
  readonly sources: readonly (keyof O & string)[];
  /** The message when not exactly one source is given (or the options are not an object). */
  readonly sourcesMessage: string;
  /** Options that must be non-empty strings when given, each with the message that says so. */
  readonly nonEmptyStrings?: Readonly<Partial<Record<keyof O & string, string>>>;
  /** Options in whole milliseconds, from 0 to {@link MAX_TIMEOUT_MS}. */
  readonly timeouts?: readonly (keyof O & string)[];
  /**
   * Timeouts that only apply to the connection Mongock opens itself from `source`, with the
   * message naming the session setting to use instead.
   */
  readonly ownConnectionOnly?: {
    readonly source: keyof O & string;
    readonly timeouts: readonly (keyof O & string)[];
    readonly message: (key: string) => string;
  };
}

/**
 * The options, checked against `spec` and frozen. Throws one `INVALID_CONFIG` naming the first
 * problem: an unknown key (with the closest known one), not exactly one source, an empty string
 * or a timing that is not whole milliseconds in range.
 */
export function checkDriverOptions<O extends object>(options: O, spec: DriverOptionSpec<O>): Readonly<O> {
  if (typeof options !== 'object' || options === null) throw invalid(spec.sourcesMessage);
  const unknown = Object.keys(options).filter((key) => !(spec.keys as readonly string[]).includes(key));
  if (unknown.length > 0) throw invalid(`${spec.factory}: ${unknown.map((key) => unknownOptionMessage(key, spec.keys)).join(' ')}`);
  const record = options as Readonly<Record<string, unknown>>;
  if (spec.sources.filter((key) => record[key] !== undefined).length !== 1) throw invalid(spec.sourcesMessage);
  for (const [key, message] of Object.entries(spec.nonEmptyStrings ?? {})) {
    const value = record[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw invalid(message as string);
  }
  for (const key of spec.timeouts ?? []) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMEOUT_MS) {
      throw invalid(`${spec.factory}: ${key} must be whole milliseconds from 0 to ${MAX_TIMEOUT_MS}; got ${String(value)}.`);
    }
    const own = spec.ownConnectionOnly;
    if (own?.timeouts.includes(key) && record[own.source] === undefined) throw invalid(own.message(key));
  }
  return Object.freeze({ ...options });
}

function invalid(message: string): MongockError {
  return new MongockError('INVALID_CONFIG', message);
}
