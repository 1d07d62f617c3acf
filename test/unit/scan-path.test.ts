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

describe('a barrel index.ts re-exporting units', () => {
  it('counts the same unit object reached through two files once, named by its own file', async () => {
    const report = await createRunner({ driver: memoryDriver(), migrationScanPath: 'test/fixtures/barrel', logger: silentLogger }).validate();
    expect(report.units.map((unit) => [unit.changeId, unit.source?.split('/').pop()])).toEqual([
      ['create', '001-create.ts'],
      ['fill', '002-fill.ts'],
    ]);
  });

  it('a unit both in a scan path and passed to addChangeUnits is one unit', async () => {
    const { createTable } = await import('../fixtures/barrel/units/001-create.ts');
    const result = await createRunner({
      driver: memoryDriver(),
      migrationScanPath: 'test/fixtures/barrel',
      changeUnits: [createTable],
      logger: silentLogger,
    }).execute();
    expect(result.executed).toBe(2);
  });
});
