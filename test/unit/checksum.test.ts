import { describe, expect, it } from 'vitest';
import { checksumsOf, checksumsReady, sameCode } from '../../src/change/checksum.ts';
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

  it('are the same through the asynchronous compiler call (the apply path) as through the synchronous one', async () => {
    // A model whose execution step has this runtime source text.
    const withSource = (source: string) => {
      const unit = model(() => undefined);
      return { ...unit, steps: { ...unit.steps, execution: { ...unit.steps.execution, source } } };
    };
    const sources = [
      'execute() { return 1 + 1; }',
      "async execute() { return 'a'  +  `b`; } // note",
      '(db) => db.drop()',
      'function execute(x) { return x?.y }',
    ];
    const viaAsync = sources.map(withSource);
    await checksumsReady(viaAsync);
    expect(checksumsOf(viaAsync)).toEqual(checksumsOf(sources.map(withSource)));
    // One source esbuild cannot parse: the batch fails and each is printed on its own, as synchronously.
    const broken = [...sources, 'execute() { return ( }'];
    const brokenAsync = broken.map(withSource);
    await checksumsReady(brokenAsync);
    expect(checksumsOf(brokenAsync)).toEqual(checksumsOf(broken.map(withSource)));
  });
});
