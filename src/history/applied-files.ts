import { FILE_TOKEN } from '../change/file-token.ts';
import type { ChangeEntry } from './change-entry.ts';
import { latestDecisiveEntries } from './is-executed.ts';

/**
 * The digests of unit files that are fully applied: every key the file yields has an EXECUTED
 * deciding entry recorded with that file's token. Such a file's text is what ran, so importing
 * it again could only tell what the history already says (see docs/performance.md).
 */
export function appliedFileDigests(history: readonly ChangeEntry[]): Set<string> {
  const counts = new Map<string, { readonly keys: number; seen: number }>();
  for (const entry of latestDecisiveEntries(history).values()) {
    if (entry.state !== 'EXECUTED' || entry.checksum == null) continue;
    const match = FILE_TOKEN.exec(entry.checksum);
    if (match === null) continue;
    const digest = match[1]!;
    const keys = Number(match[2]);
    const known = counts.get(digest);
    if (known === undefined) counts.set(digest, { keys, seen: 1 });
    else if (known.keys === keys) known.seen++;
  }
  const applied = new Set<string>();
  for (const [digest, { keys, seen }] of counts) if (seen === keys) applied.add(digest);
  return applied;
}
