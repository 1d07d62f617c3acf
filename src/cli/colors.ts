/** ANSI styles, or identity functions when colour is off. */
export interface Colors {
  readonly enabled: boolean;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const style =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

/**
 * Colour on a terminal unless `NO_COLOR` (any value, https://no-color.org), `TERM=dumb` or
 * `--no-color`; `FORCE_COLOR` (not `0`) turns it on anywhere.
 */
export function pickColors(isTTY: boolean, env: Readonly<Record<string, string | undefined>>, noColorFlag: boolean): Colors {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const enabled = !noColorFlag && (forced || (isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb'));
  const plain = (text: string) => text;
  if (!enabled) return { enabled, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { enabled, bold: style(1, 22), dim: style(2, 22), red: style(31, 39), green: style(32, 39), yellow: style(33, 39), cyan: style(36, 39) };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The printed width of a string that may hold ANSI styles. */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}
