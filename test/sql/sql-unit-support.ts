import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { Driver } from '../../src/drivers/driver.ts';
import { isMongockError, type MongockError } from '../../src/errors/mongock-error.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { MongockBuilder } from '../../src/runner/mongock-builder.ts';
import type { MongockRunner } from '../../src/runner/mongock-runner.ts';

const QUICK = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 5_000 };

/** A scan directory made before each test of the file and removed after it, and a runner over it. */
export interface ScanDir {
  /** The directory of the running test. */
  path(): string;
  write(name: string, text: string): void;
  /** A runner over the directory, checksum mismatches failing the run. */
  runner(driver: Driver<object>): MongockRunner;
}

export function useScanDir(prefix: string): ScanDir {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return {
    path: () => dir,
    write: (name, text) => writeFileSync(join(dir, name), text),
    runner: (driver) =>
      new MongockBuilder()
        .setConfig({ driver, onChecksumMismatch: 'fail' })
        .addMigrationScanPath(dir)
        .setLockConfig(QUICK)
        .setLogger(silentLogger)
        .buildRunner(),
  };
}

/** The MongockError a promise rejects with (anything else fails the test). */
export async function failure(promise: Promise<unknown>): Promise<MongockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMongockError(error)) throw new Error(`expected a MongockError, got ${String(error)}`);
  return error;
}
