import { basename } from 'node:path';
import type { LocatedSource } from './collect-change-units.ts';

const BARREL = /^index\.[cm]?[jt]s$/;

/**
 * One entry per change unit object. A barrel (`index.ts` re-exporting the folder's units) or a
 * unit both in a scan path and passed to `addChangeUnits` reaches the same object twice: that is
 * one unit, not a duplicate id. Two different objects with one (id, author) are still reported by
 * the selection. The file named is the defining one rather than the barrel.
 */
export function distinctSources(sources: readonly LocatedSource[]): LocatedSource[] {
  const byObject = new Map<unknown, LocatedSource>();
  for (const located of sources) {
    const known = byObject.get(located.source);
    if (known === undefined) byObject.set(located.source, located);
    else if (isBarrel(known.file) && located.file !== undefined && !isBarrel(located.file)) byObject.set(located.source, located);
  }
  return [...byObject.values()];
}

const isBarrel = (file: string | undefined): boolean => file !== undefined && BARREL.test(basename(file));
