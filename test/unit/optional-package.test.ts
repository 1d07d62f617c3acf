import { describe, expect, it } from 'vitest';
import { optionalPackage } from '../../src/drivers/shared/optional-package.ts';

// The one loader every driver uses for its optional peer package (mongodb, pg, mysql2, better-sqlite3).

describe('optionalPackage', () => {
  it('a missing package is a DRIVER_ERROR that says what to install, with the require failure as cause', () => {
    const load = optionalPackage({
      specifier: 'mongock-no-such-package',
      needs: "The Nothing driver needs the 'nothing' package",
      install: 'nothing',
      pick: (m) => m,
    });
    expect(load).toThrow(
      expect.objectContaining({ code: 'DRIVER_ERROR', message: "The Nothing driver needs the 'nothing' package: run `npm install nothing`." }),
    );
    try {
      load();
    } catch (error) {
      expect((error as Error & { cause: { code?: string } }).cause.code).toBe('MODULE_NOT_FOUND');
    }
  });

  it('an installed package is required once, on first use, and the picked part reused', () => {
    let picks = 0;
    const load = optionalPackage({
      specifier: 'pg',
      needs: 'x',
      install: 'pg',
      pick: (module) => {
        picks++;
        return (module as { Client: unknown }).Client;
      },
    });
    expect(picks).toBe(0);
    const first = load();
    expect(typeof first).toBe('function');
    expect(load()).toBe(first);
    expect(picks).toBe(1);
  });
});
