import { describe, expect, it } from 'vitest';
import { checksumsOf, sameCode } from '../../src/change/checksum.ts';
import { collectChangeUnits } from '../../src/change/collect-change-units.ts';
import { defineChangeUnit } from '../../src/index.ts';

const model = (execute: () => unknown) =>
  collectChangeUnits([{ source: defineChangeUnit({ id: 'x', order: '1', execute, rollback() {} }), file: undefined }]).units[0]!;

describe('recorded checksums', () => {
  it('are <canonical>.<raw>, computed for many units in one call', () => {
    const models = Array.from({ length: 50 }, (_, i) => model(new Function(`return ${i} + 1;`) as () => unknown));
    const sums = checksumsOf(models);
    expect(sums).toHaveLength(50);
    for (const sum of sums) expect(sum).toMatch(/^[0-9a-f]{16}\.[0-9a-f]{16}$/);
    expect(new Set(sums).size).toBe(50);
  });

  it('byte-identical code matches on the raw part alone; reformatted code matches on the canonical part', () => {
    const original = model(function execute() {
      return 'same';
    });
    const [recorded] = checksumsOf([original]);
    const [canonical, raw] = recorded!.split('.');
    // A wrong canonical part with the right raw part still matches: start-up needs no compiler.
    expect(sameCode(`${'0'.repeat(16)}.${raw}`, original)).toBe(true);
    // Reformatted: raw differs, canonical decides.
    const reformatted = model(function execute() {
      return 'same'; // a comment
    });
    expect(sameCode(recorded!, reformatted)).toBe(true);
    expect(sameCode(`${canonical}`, reformatted)).toBe(true); // entries recorded before the raw part existed
    const changed = model(function execute() {
      return 'different';
    });
    expect(sameCode(recorded!, changed)).toBe(false);
    expect(sameCode('garbage', original)).toBe(false);
  });
});
