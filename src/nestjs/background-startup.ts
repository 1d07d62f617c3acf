import type { MigrationResult } from '../runner/migration-result.ts';
import type { MongockRunner } from '../runner/mongock-runner.ts';
import { type MongockMigration, trackMigration } from './mongock-migration.ts';

/**
 * `background: true`'s start-up: `executeInBackground()`, awaited only until the application may
 * serve: the first batch of a batched unit committed, or the run over. So every pending unit
 * ordered before the first batched one is applied before the application serves (as without
 * `background`), and a failure there still stops the start-up; the batched unit, and the units
 * ordered after it, go on in the background, under the lock only while a slice works.
 */
export async function startInBackground(runner: MongockRunner, migration: MongockMigration): Promise<MigrationResult | undefined> {
  let firstBatch!: () => void;
  const served = new Promise<undefined>((resolve) => {
    firstBatch = () => resolve(undefined);
  });
  const off = runner.on('batch-progress', () => firstBatch());
  try {
    const run = runner.executeInBackground();
    return await Promise.race([trackMigration(migration, run.done, run), served]);
  } finally {
    off();
  }
}
