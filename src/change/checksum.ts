import { createHash } from 'node:crypto';
import type { ChangeUnitModel } from './change-unit.ts';

/**
 * The checksum recorded with each executed change: SHA-256 (first 16 hex digits) of the source
 * text of the unit's change methods (`execute`/`@Execution`, then the before-step), as the
 * JavaScript runtime prints them, with comments removed and every run of whitespace dropped.
 * Reformatting (indentation, line breaks, comments) therefore never changes it; renaming
 * variables or changing logic does. Rollback methods are not hashed: fixing a rollback is not
 * a change to what was applied.
 */
export function computeChecksum(model: ChangeUnitModel): string {
  const parts = [model.steps.execution, model.steps.before].map((step) => (step === undefined ? '' : normalise(sourceOf(model, step.name))));
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

function sourceOf(model: ChangeUnitModel, name: string): string {
  const unitClass = model.steps.unitClass;
  if (unitClass !== undefined) {
    const method = (unitClass.prototype as Record<string, unknown>)[name];
    return typeof method === 'function' ? Function.prototype.toString.call(method) : '';
  }
  const step = name === 'execute' ? model.steps.execution : model.steps.before;
  return step === undefined ? '' : (step.source ?? '');
}

/** Strips comments and all whitespace outside string literals. */
export function normalise(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 2;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      if (!/\s/.test(c)) out += c;
      i++;
    }
  }
  return out;
}
