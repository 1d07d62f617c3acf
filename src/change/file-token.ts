import type { ChangeUnitModel } from './change-unit.ts';

/**
 * What a recorded checksum says about the file its unit came from: `<checksum>.f<digest>-<keys>`,
 * where `digest` identifies the file's text (`fileDigest` in load-change-units.ts) and `keys` is how many
 * history keys (units plus before-steps) that file yields. Only the checksum's last part.
 */
export const FILE_TOKEN = /\.f([0-9a-f]{16})-(\d+)$/;

/** The file token of a recorded checksum, appended to the unit's own checksum. */
export function withFileToken(checksum: string, digest: string, keys: number): string {
  return `${checksum}.f${digest}-${keys}`;
}

/** A recorded checksum without its file token (what the unit's code hashed to). */
export function withoutFileToken(recorded: string): string {
  return recorded.replace(FILE_TOKEN, '');
}

const tokens = new WeakMap<ChangeUnitModel, { readonly digest: string; readonly keys: number }>();

/**
 * Marks the units of one scan-path file with the file's digest and the number of history keys the
 * file yields (each unit, plus its before-step), so that their history entries say which file
 * text they came from. A file with a `runAlways` unit is not marked: it must be imported at
 * every start-up to run that unit.
 */
export function markFileUnits(digest: string, units: readonly ChangeUnitModel[]): void {
  if (units.length === 0 || units.some((unit) => unit.runAlways)) return;
  const keys = units.reduce((sum, unit) => sum + (unit.steps.before === undefined ? 1 : 2), 0);
  for (const unit of units) tokens.set(unit, { digest, keys });
}

/** The checksum to record for `model`: its code's checksum, plus its file token when it came from a scan path. */
export function recordedChecksum(model: ChangeUnitModel, checksum: string): string {
  const token = tokens.get(model);
  return token === undefined ? checksum : withFileToken(checksum, token.digest, token.keys);
}
