import { MongockError } from '../errors/mongock-error.ts';
import type { InProgressChange } from './lock-primitive.ts';

/** A marker read back from a lock store: the change, none, or what is wrong with the stored value. */
export type MarkerReading = { readonly marker: InProgressChange | null; readonly problem?: undefined } | { readonly marker: null; readonly problem: string };

/**
 * Validates an in-progress marker as stored by a driver (a JSON string, or an object from a JSON
 * column or a document). Never throws: a hand-edited or truncated marker comes back as a problem
 * to report, so that `status` can show it and `unlock --force` can clear it.
 */
export function readInProgressMarker(value: unknown): MarkerReading {
  if (value === null || value === undefined) return { marker: null };
  let raw: unknown = value;
  if (typeof value === 'string') {
    try {
      raw = JSON.parse(value);
    } catch {
      return { marker: null, problem: `the in-progress marker is not JSON (${JSON.stringify(value.slice(0, 60))})` };
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { marker: null, problem: 'the in-progress marker is not an object' };
  const { changeId, author, executionId, startedAt, hostname, step } = raw as Record<string, unknown>;
  const started = startedAt instanceof Date ? startedAt : typeof startedAt === 'string' ? new Date(startedAt) : undefined;
  if (
    typeof changeId !== 'string' ||
    typeof author !== 'string' ||
    typeof executionId !== 'string' ||
    started === undefined ||
    Number.isNaN(started.getTime())
  ) {
    return { marker: null, problem: 'the in-progress marker lacks a string changeId, author or executionId, or a valid startedAt' };
  }
  const marker: InProgressChange = { changeId, author, executionId, startedAt: started, hostname: typeof hostname === 'string' ? hostname : '' };
  // The step tells a rollback that was itself interrupted from the change (older markers lack it).
  return { marker: Object.freeze(step === 'execute' || step === 'rollback' ? { ...marker, step } : marker) };
}

/** The error a run or undo raises when the lock store holds a marker it cannot read. */
export function corruptMarkerError(store: string, problem: string): MongockError {
  return new MongockError(
    'CORRUPT_RECORD',
    `The lock store ${store} holds a record Mongock cannot read: ${problem}. Nothing was run. ` +
      'A change that ran outside a transaction may have been interrupted: check its data, then clear the record with `mongock unlock --force` (runner.unlock({ force: true })).',
  );
}

/** How `status` explains an unreadable marker. */
export function describeMarkerProblem(store: string, problem: string): string {
  return `${store}: ${problem}; clear it with \`mongock unlock --force\` after checking the data of any change that ran outside a transaction`;
}
