import { expect, it } from 'vitest';
import { defineChangeUnit } from '../../change/define-change-unit.ts';
import { isMongockError } from '../../errors/mongock-error.ts';
import { silentLogger } from '../../log/logger.ts';
import { MongockBuilder } from '../../runner/mongock-builder.ts';
import type { MongockRunner } from '../../runner/mongock-runner.ts';
import type { Driver } from '../driver.ts';
import type { DriverHarness } from './driver-harness.ts';
import { lockScenarios } from './lock-scenarios.ts';
import { runCheckpointTestkit } from './run-checkpoint-testkit.ts';
import { runOperationsTestkit } from './run-operations-testkit.ts';
import { foreignEntry, letTimePass, markerUnits, TESTKIT_LOCK, testkitBuilder, testkitSuite, withConnections } from './testkit-suite.ts';

/**
 * The conformance suite every driver passes against its real database: history shape and the
 * "is executed" rule, atomic unit + entry where transactions exist, rollback and failFast,
 * before-steps, runAlways, undo, status, checksum drift, the lock primitive's owner checks, the
 * crash marker, a dead holder taken over (lease expiry or lost session, `lock-scenarios.ts`),
 * concurrent runners applying each unit exactly once, re-planning under the lock, batched steps
 * (`run-checkpoint-testkit.ts`) and the operations (`run-operations-testkit.ts`). Scenarios
 * that need a capability (`lease`, `transactions`) or a harness hook (`severLockSession`) skip,
 * saying why, where it is missing.
 *
 * @example test/drivers/sqlite.test.ts
 * ```ts
 * import type { DriverHarness } from 'mongock/testkit';
 * import { runDriverTestkit } from 'mongock/testkit';
 *
 * // Your harness: a fresh database per test, your driver over it, and direct reads of its markers.
 * declare const myHarness: DriverHarness<{ db: unknown }>;
 *
 * runDriverTestkit(myHarness);
 * ```
 */
export function runDriverTestkit<TContext extends object>(harness: DriverHarness<TContext>): void {
  testkitSuite(harness, `driver testkit: ${harness.name}`, (fixture) => {
    const marker = markerUnits(fixture, 'testkit');
    const runner = (driver: Driver<TContext>, ...units: ReturnType<typeof marker>[]): MongockRunner =>
      testkitBuilder(driver, ...units)
        .withMetadata({ suite: 'testkit' })
        .buildRunner();

    it('applies pending units in order, records Mongock entries, and takes no lock when nothing is pending', async () => {
      const order: string[] = [];
      const unit = (id: string, o: string) =>
        defineChangeUnit<TContext>({
          id,
          order: o,
          author: 'testkit',
          execute: async (ctx) => {
            order.push(id);
            await fixture().insertMarker(ctx, id);
          },
          rollback: async () => {},
        });
      const first = runner(fixture().driver(), unit('b', '002'), unit('a', '001'), unit('c', '010'));
      const result = await first.execute();
      expect(result.status).toBe('completed');
      expect(order).toEqual(['a', 'b', 'c']);
      for (const id of ['a', 'b', 'c']) expect(await fixture().countMarkers(id)).toBe(1);

      const status = await first.status();
      expect(status.units.map((u) => [u.changeId, u.state])).toEqual([
        ['a', 'executed'],
        ['b', 'executed'],
        ['c', 'executed'],
      ]);
      expect(status.units[0]!.executionHostname).toBeTruthy();
      expect(status.lock).toBeNull();

      const again = runner(fixture().driver(), unit('b', '002'), unit('a', '001'), unit('c', '010'));
      let lockTaken = false;
      again.on('lock-acquired', () => {
        lockTaken = true;
      });
      const second = await again.execute();
      expect(second.status).toBe('up-to-date');
      expect(lockTaken).toBe(false);
      for (const id of ['a', 'b', 'c']) expect(await fixture().countMarkers(id)).toBe(1);
    });

    it('records a before-step as <id>_before and runAlways units every run without new entries', async () => {
      const withBefore = defineChangeUnit<TContext>({
        id: 'with-before',
        order: '001',
        author: 'testkit',
        before: (ctx) => fixture().insertMarker(ctx, 'before'),
        rollbackBefore: (ctx) => fixture().deleteMarkers(ctx, 'before'),
        execute: (ctx) => fixture().insertMarker(ctx, 'with-before'),
        rollback: (ctx) => fixture().deleteMarkers(ctx, 'with-before'),
      });
      const always = marker('always', '002', { runAlways: true });
      await runner(fixture().driver(), withBefore, always).execute();
      const second = await runner(fixture().driver(), withBefore, always).execute();
      expect(second.executed).toBe(1);
      expect(await fixture().countMarkers('before')).toBe(1);
      expect(await fixture().countMarkers('with-before')).toBe(1);
      expect(await fixture().countMarkers('always')).toBe(2);
      const connection = await fixture()
        .driver()
        .connect({ migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger });
      try {
        const history = await connection.readHistory();
        const before = history.filter((e) => e.changeId === 'with-before_before');
        expect(before).toHaveLength(1);
        expect(before[0]).toMatchObject({ type: 'BEFORE_EXECUTION', state: 'EXECUTED', author: 'testkit' });
        expect(history.filter((e) => e.changeId === 'always')).toHaveLength(1);
        const entry = history.find((e) => e.changeId === 'with-before')!;
        expect(entry).toMatchObject({ state: 'EXECUTED', type: 'EXECUTION', changeSetMethod: 'execute', systemChange: false, metadata: { suite: 'testkit' } });
        expect(entry.timestamp).toBeInstanceOf(Date);
        expect(entry.executionMillis).toBeGreaterThanOrEqual(0);
        expect(entry.checksum).toMatch(/^[0-9a-f]{16}\.[0-9a-f]{16}$/);
      } finally {
        await connection.close();
      }
    });

    it('on failure: a transactional unit leaves no effect and a FAILED entry; a non-transactional one is rolled back', async () => {
      const driver = fixture().driver();
      const failing = (transactional: boolean) =>
        defineChangeUnit<TContext>({
          id: `fails-${transactional}`,
          order: '002',
          author: 'testkit',
          transactional,
          execute: async (ctx) => {
            await fixture().insertMarker(ctx, `fails-${transactional}`);
            throw new Error('boom');
          },
          rollback: (ctx) => fixture().deleteMarkers(ctx, `fails-${transactional}`),
        });
      // What this deployment offers is known once connected (a MongoDB standalone has no transactions).
      const probe = await driver.connect({ migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger });
      const hasTransactions = probe.capabilities.transactions;
      await probe.close();
      for (const transactional of hasTransactions ? [true, false] : [false]) {
        const error = await runner(fixture().driver(), marker('ok', '001'), failing(transactional), marker('after', '003'))
          .execute()
          .catch((e: unknown) => e);
        expect(isMongockError(error, 'CHANGE_FAILED')).toBe(true);
        expect((error as { changeId: string }).changeId).toBe(`fails-${transactional}`);
        expect((error as Error).cause).toBeInstanceOf(Error);
        expect(((error as Error).cause as Error).message).toBe('boom');
        expect(await fixture().countMarkers(`fails-${transactional}`)).toBe(0);
        expect(await fixture().countMarkers('ok')).toBe(1);
        expect(await fixture().countMarkers('after')).toBe(0);
        const status = await runner(fixture().driver(), marker('ok', '001'), failing(transactional)).status();
        expect(status.units.find((u) => u.changeId === `fails-${transactional}`)!.state).toBe(transactional ? 'failed' : 'rolled-back');
      }
    });

    it('failFast: false records FAILED and carries on', async () => {
      const soft = defineChangeUnit<TContext>({
        id: 'soft',
        order: '001',
        author: 'testkit',
        failFast: false,
        transactional: false,
        execute: () => {
          throw new Error('soft failure');
        },
        rollback: () => {},
      });
      const result = await runner(fixture().driver(), soft, marker('next', '002')).execute();
      expect(result.status).toBe('completed');
      expect(result.items.find((i) => i.changeId === 'soft')!.outcome).toBe('failed');
      expect(await fixture().countMarkers('next')).toBe(1);
      const status = await runner(fixture().driver(), soft, marker('next', '002')).status();
      expect(status.units.map((u) => u.state)).toEqual(['failed', 'executed']);
    });

    it('undo rolls back the newest units and a later run applies them again', async () => {
      const units = [marker('u1', '001'), marker('u2', '002'), marker('u3', '003')];
      await runner(fixture().driver(), ...units).execute();
      const undone = await runner(fixture().driver(), ...units).undo({ last: 2 });
      expect(undone.items.map((i) => i.changeId)).toEqual(['u3', 'u2']);
      expect(await fixture().countMarkers('u3')).toBe(0);
      expect(await fixture().countMarkers('u2')).toBe(0);
      expect(await fixture().countMarkers('u1')).toBe(1);
      const status = await runner(fixture().driver(), ...units).status();
      expect(status.units.map((u) => u.state)).toEqual(['executed', 'rolled-back', 'rolled-back']);
      const again = await runner(fixture().driver(), ...units).execute();
      expect(again.executed).toBe(2);
      for (const id of ['u1', 'u2', 'u3']) expect(await fixture().countMarkers(id)).toBe(1);
      await runner(fixture().driver(), ...units).undo({ to: 'u1' });
      for (const id of ['u1', 'u2', 'u3']) expect(await fixture().countMarkers(id)).toBe(0);
    });

    it('lock primitive: one holder at a time, owner-checked renew and release', async () => {
      await withConnections(fixture(), async (a, b) => {
        const onLost = () => {};
        const first = await a.lock.tryAcquire({ owner: 'owner-a', leaseMs: 10_000, hostname: 'host-a', onLost });
        expect(first.acquired).toBe(true);
        const second = await b.lock.tryAcquire({ owner: 'owner-b', leaseMs: 10_000, hostname: 'host-b', onLost });
        expect(second).toMatchObject({ acquired: false, holder: { owner: 'owner-a', hostname: 'host-a' } });
        const holder = await b.lock.inspect();
        expect(holder?.owner).toBe('owner-a');
        expect(holder?.expired).toBe(false);
        if (!first.acquired) throw new Error('unreachable');
        const foreign = { owner: 'owner-b', fence: first.lease.fence };
        expect(await b.lock.release(foreign)).toBe(false);
        expect(await b.lock.renew(foreign, 10_000)).toBe(false);
        expect((await a.lock.inspect())?.owner).toBe('owner-a');
        expect(await a.lock.renew(first.lease, 10_000)).toBe(true);
        expect(await a.lock.release(first.lease)).toBe(true);
        const third = await b.lock.tryAcquire({ owner: 'owner-b', leaseMs: 10_000, hostname: 'host-b', onLost });
        expect(third.acquired).toBe(true);
        if (third.acquired) {
          expect(third.lease.fence).toBeGreaterThan(first.lease.fence);
          expect(await b.lock.release(third.lease)).toBe(true);
        }
      });
    });

    it('the in-progress marker survives release (later writes refused), comes back as interrupted, a live session-lock holder is never forced, and forceRelease clears it', async () => {
      await withConnections(fixture(), async (a, b) => {
        const first = await a.lock.tryAcquire({ owner: 'owner-a', leaseMs: 10_000, hostname: 'host-a', onLost: () => {} });
        if (!first.acquired) throw new Error('could not take the lock for the test');
        expect(first.interrupted).toBeNull();
        const change = {
          changeId: 'half-done',
          author: 'testkit',
          executionId: 'dead-run',
          startedAt: new Date('2026-01-02T03:04:05.678Z'),
          hostname: 'host-a',
        };
        await a.lock.markInProgress(first.lease, change);
        expect(await a.lock.release(first.lease)).toBe(true);
        await expect(a.lock.markInProgress(first.lease, null)).rejects.toMatchObject({ code: 'LOCK_LOST' });
        expect((await b.lock.inspect())?.inProgress).toEqual(change);
        const second = await b.lock.tryAcquire({ owner: 'owner-b', leaseMs: 10_000, hostname: 'host-b', onLost: () => {} });
        if (!second.acquired) throw new Error('the released lock was not free');
        expect(second.interrupted).toEqual(change);
        if (!b.capabilities.lease) {
          // A session lock's holder is alive as long as its session: forcing changes nothing.
          expect(await a.lock.forceRelease()).toBe(false);
          expect(await a.lock.inspect()).toMatchObject({ owner: 'owner-b', inProgress: change });
        }
        expect(await b.lock.release(second.lease)).toBe(true);
        expect((await a.lock.inspect())?.inProgress).toEqual(change); // an operator's unlock --force is what clears it
        expect(await a.lock.forceRelease()).toBe(true);
        expect(await b.lock.inspect()).toBeNull();
        const third = await a.lock.tryAcquire({ owner: 'owner-a', leaseMs: 10_000, hostname: 'host-a', onLost: () => {} });
        expect(third).toMatchObject({ acquired: true, interrupted: null });
        if (third.acquired) await a.lock.release(third.lease);
      });
    });

    it('a holder that dies is taken over without help: at once for a session lock, after its lease for a lease lock', async () => {
      await withConnections(fixture(), async (a, b) => {
        const leaseMs = 300;
        const first = await a.lock.tryAcquire({ owner: 'owner-a', leaseMs, hostname: 'host-a', onLost: () => {} });
        expect(first.acquired).toBe(true);
        if (b.capabilities.lease) {
          // The holder stops renewing (a crash): its lease runs out by the database's clock.
          expect((await b.lock.tryAcquire({ owner: 'owner-b', leaseMs, hostname: 'host-b', onLost: () => {} })).acquired).toBe(false);
          await letTimePass(fixture(), leaseMs + 200);
          expect((await b.lock.inspect())?.expired).toBe(true);
        } else {
          // A session lock ends with its session: the holder's connection goes away.
          await a.close();
        }
        const taken = await b.lock.tryAcquire({ owner: 'owner-b', leaseMs: 10_000, hostname: 'host-b', onLost: () => {} });
        if (!first.acquired || !taken.acquired) throw new Error(`taking over a dead holder failed: ${JSON.stringify(taken)}`);
        expect(taken.lease.fence).toBeGreaterThan(first.lease.fence);
        expect(await b.lock.release(taken.lease)).toBe(true);
      });
    });

    it('concurrent runners on separate connections apply each unit exactly once', async () => {
      const units = Array.from({ length: 5 }, (_, i) => marker(`c${i}`, `00${i}`));
      const results = await Promise.all(Array.from({ length: 4 }, () => runner(fixture().driver(), ...units).execute()));
      expect(results.reduce((sum, r) => sum + r.executed, 0)).toBe(5);
      for (let i = 0; i < 5; i++) expect(await fixture().countMarkers(`c${i}`)).toBe(1);
    });

    it('recomputes what is pending after acquiring the lock', async () => {
      const units = [marker('p1', '001'), marker('p2', '002')];
      const settings = { migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger };
      const holder = await fixture().driver().connect(settings);
      try {
        const attempt = await holder.lock.tryAcquire({ owner: 'other-runner', leaseMs: 10_000, hostname: 'elsewhere', onLost: () => {} });
        if (!attempt.acquired) throw new Error('could not take the lock for the test');
        const late = runner(fixture().driver(), ...units);
        // Once it waits for the lock, it has read the history and found both units pending.
        const blocked = new Promise<void>((resolve) => late.on('lock-waiting', () => resolve()));
        const waiting = late.execute();
        await Promise.race([blocked, waiting]);
        // Meanwhile "another runner" applies both units and records them.
        await holder.prepareHistory();
        const guard = { ensure: async () => {} };
        for (const unit of units) {
          await holder.runInScope({ transactional: holder.capabilities.transactions, lease: attempt.lease, guard }, async (scope) => {
            await fixture().insertMarker(scope.context, unit.id);
            await scope.saveEntry(foreignEntry(unit.id, 'testkit', 'other-execution', 'elsewhere'));
          });
        }
        expect(await holder.lock.release(attempt.lease)).toBe(true);
        const result = await waiting;
        expect(result.executed).toBe(0);
        for (const unit of units) expect(await fixture().countMarkers(unit.id)).toBe(1);
      } finally {
        await holder.close();
      }
    });

    lockScenarios(fixture);

    it('trackIgnored writes an IGNORED entry for already-executed units', async () => {
      await runner(fixture().driver(), marker('t1', '001')).execute();
      const tracked = new MongockBuilder()
        .setDriver(fixture().driver())
        .addChangeUnits(marker('t1', '001'), marker('t2', '002'))
        .setTrackIgnored(true)
        .setLockConfig(TESTKIT_LOCK)
        .setLogger(silentLogger)
        .buildRunner();
      const result = await tracked.execute();
      expect(result.items.map((i) => [i.changeId, i.outcome])).toEqual([
        ['t1', 'ignored'],
        ['t2', 'executed'],
      ]);
      const connection = await fixture()
        .driver()
        .connect({ migrationRepositoryName: 'mongockChangeLog', lockRepositoryName: 'mongockLock', logger: silentLogger });
      try {
        const ignored = (await connection.readHistory()).filter((e) => e.state === 'IGNORED');
        expect(ignored.map((e) => e.changeId)).toEqual(['t1']);
      } finally {
        await connection.close();
      }
      expect(await fixture().countMarkers('t1')).toBe(1);
    });
  });
  runCheckpointTestkit(harness);
  runOperationsTestkit(harness);
}
