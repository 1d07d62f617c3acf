/** Where a JavaScript file's syntax error is, as `file:line:col`. */
export interface SyntaxErrorLocation {
  readonly line: number;
  readonly column: number;
}

const CHECK_TIMEOUT_MS = 10_000;

/**
 * Node reports a syntax error in an ES module without its position (the position is only printed
 * for an uncaught error), so a failed import is re-parsed with `node --check`, whose report ends
 * with the offending line and a caret under the column. Only runs on the failure path.
 */
export async function locateSyntaxError(file: string): Promise<SyntaxErrorLocation | undefined> {
  const { spawnSync } = await import('node:child_process');
  const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: CHECK_TIMEOUT_MS });
  const lines = (checked.stderr ?? '').split('\n');
  const header = lines.findIndex((text) => text.startsWith(`${file}:`) && /^\d+$/.test(text.slice(file.length + 1)));
  if (header === -1) return undefined;
  const line = Number(lines[header]!.slice(file.length + 1));
  const caret = lines[header + 2]?.indexOf('^') ?? -1;
  return { line, column: caret === -1 ? 1 : caret + 1 };
}
