import { afterEach, beforeEach, describe } from 'vitest';
import { type ChangeUnitDefinition, defineChangeUnit } from '../../change/define-change-unit.ts';
import type { NewChangeEntry } from '../../history/change-entry.ts';
import { silentLogger } from '../../log/logger.ts';
import { MongockBuilder } from '../../runner/mongock-builder.ts';
import type { Driver, DriverConnection } from '../driver.ts';
import type { DriverFixture, DriverHarness } from './driver-harness.ts';

/** What the testkit's runners and connections use: the default store names, no log output. */
export const TESTKIT_SETTINGS = Object.freeze({ migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger });
/** A lock that retries often and waits long enough for a loaded machine. */
export const TESTKIT_LOCK = Object.freeze({ acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 20_000 });

/**
 * One part of the testkit: a `describe` whose every test gets a fresh fixture of `harness`, set
 * up before it and torn down after it. `fixture()` is the current test's.
 */
export function testkitSuite<TContext extends object>(
  harness: DriverHarness<TContext>,
  title: string,
  tests: (fixture: () => DriverFixture<TContext>) => void,
): void {
  describe(title, () => {
    let current: DriverFixture<TContext> | undefined;
    beforeEach(async () => {
      current = await harness.setup();
    });
    afterEach(async () => {
      await current?.teardown();
      current = undefined;
    });
    tests(() => {
      if (current === undefined) throw new Error('the testkit fixture exists only inside a test');
      return current;
    });
  });
}

/** Units by `author` that write the marker named by their id and whose rollback deletes it. */
export function markerUnits<TContext extends object>(fixture: () => DriverFixture<TContext>, author: string) {
  return (id: string, order: string, extra: Partial<ChangeUnitDefinition<TContext>> = {}): ChangeUnitDefinition<TContext> =>
    defineChangeUnit<TContext>({
      id,
      order,
      author,
      execute: (ctx) => fixture().insertMarker(ctx, id),
      rollback: (ctx) => fixture().deleteMarkers(ctx, id),
      ...extra,
    });
}

/** An EXECUTED entry as another runner would have written it, for scenarios that write history behind the runner's back. */
export function foreignEntry(changeId: string, author: string, executionId: string, hostname: string): NewChangeEntry {
  return {
    executionId,
    changeId,
    author,
    timestamp: new Date(),
    state: 'EXECUTED',
    type: 'EXECUTION',
    changeLogClass: 'x',
    changeSetMethod: 'execute',
    metadata: null,
    executionMillis: 1,
    executionHostname: hostname,
    errorTrace: null,
    systemChange: false,
  };
}

/** A builder over `driver` with `units`, the testkit's lock and no log output. */
export function testkitBuilder<TContext extends object>(driver: Driver<TContext>, ...units: ChangeUnitDefinition<TContext>[]): MongockBuilder<TContext> {
  return new MongockBuilder<TContext>()
    .setDriver(driver)
    .addChangeUnits(...units)
    .setLockConfig(TESTKIT_LOCK)
    .setLogger(silentLogger);
}

/** `ms` of the database's clock passes: through the fixture's {@link DriverFixture.passTime}, else by waiting. */
export function letTimePass<TContext extends object>(fixture: DriverFixture<TContext>, ms: number): Promise<void> {
  return fixture.passTime?.(ms) ?? new Promise((resolve) => setTimeout(resolve, ms));
}

/** Two independent connections to the fixture's database (two processes, as far as the lock can tell), both closed after `work`. */
export async function withConnections<TContext extends object>(
  fixture: DriverFixture<TContext>,
  work: (a: DriverConnection<TContext>, b: DriverConnection<TContext>) => Promise<void>,
): Promise<void> {
  const a = await fixture.driver().connect(TESTKIT_SETTINGS);
  const b = await fixture.driver().connect(TESTKIT_SETTINGS);
  try {
    await work(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}
