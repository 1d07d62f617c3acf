import { describe, expect, it } from 'vitest';
import { memoryDriver } from '../../src/drivers/index.ts';
import { createRunner, silentLogger } from '../../src/index.ts';

describe('addMigrationScanPath', () => {
  it('loads .ts .mts .cts .js .mjs .cjs modules (default, named and CommonJS exports), skipping .d.ts', async () => {
    const report = await createRunner({ driver: memoryDriver(), migrationScanPath: 'test/fixtures/all-extensions', logger: silentLogger }).validate();
    expect(report.units.map((unit) => [unit.changeId, unit.source?.split('/').pop()])).toEqual([
      ['from-ts', 'a.ts'],
      ['from-mts', 'b.mts'],
      ['from-cts', 'c.cts'],
      ['from-js', 'd.js'],
      ['from-mjs', 'e.mjs'],
      ['from-cjs', 'f.cjs'],
    ]);
  });
});
