import { expect, it } from 'vitest';
import { type ChangeUnitDefinition, defineChangeUnit } from '../../change/define-change-unit.ts';
import { isMongockError } from '../../errors/mongock-error.ts';
import type { DriverFixture } from './driver-harness.ts';
import { foreignEntry, letTimePass, markerUnits, TESTKIT_SETTINGS, testkitBuilder, withConnections } from './testkit-suite.ts';

const CHANGE = { changeId: 'half-done', author: 'testkit', executionId: 'dead-run', startedAt: new Date('2026-01-02T03:04:05.678Z'), hostname: 'host-a' };
const ENTRY = foreignEntry('late', 'testkit', 'late-run', 'host-a');

/**
 * The lock scenarios every driver runs on its real server, each behind the capability it needs:
 * a lease lock taken over once its holder stops renewing fences every later write of that holder;
 * a session lock lost with its session is reported through `onLost`; a crashed change's marker
 * stops the next run until an operator forces the lock; checksum drift is reported and accepted.
 */
export function lockScenarios<TContext extends object>(fixture: () => DriverFixture<TContext>): void {
  const marker = markerUnits(fixture, 'testkit');
  const builder = (...units: ChangeUnitDefinition<TContext>[]) => testkitBuilder(fixture().driver(), ...units);

  it('lease lock: a holder whose lease ran out and was taken over can neither mark, record, renew nor release', async (test) => {
    await withConnections(fixture(), async (a, b) => {
      if (!a.capabilities.lease) return test.skip('session lock: it has no lease to run out');
      const leaseMs = 300;
      const first = await a.lock.tryAcquire({ owner: 'owner-a', leaseMs, hostname: 'host-a', onLost: () => {} });
      if (!first.acquired) throw new Error('could not take the lock for the test');
      expect((await b.lock.tryAcquire({ owner: 'owner-b', leaseMs, hostname: 'host-b', onLost: () => {} })).acquired).toBe(false);
      await letTimePass(fixture(), leaseMs + 200);
      expect((await b.lock.inspect())?.expired).toBe(true);
      const second = await b.lock.tryAcquire({ owner: 'owner-b', leaseMs: 10_000, hostname: 'host-b', onLost: () => {} });
      if (!second.acquired) throw new Error('the expired lock was not taken over');
      expect(second.lease.fence).toBeGreaterThan(first.lease.fence);
      await a.prepareHistory();
      await expect(a.lock.markInProgress(first.lease, CHANGE)).rejects.toMatchObject({ code: 'LOCK_LOST' });
      // The core's guard (here a stub that lets everything through) is not what refuses: the driver's fence is.
      const guard = { ensure: async () => {} };
      const refused = await a
        .runInScope({ transactional: a.capabilities.transactions, lease: first.lease, guard }, (scope) => scope.saveEntry(ENTRY))
        .catch((e: unknown) => e);
      expect(isMongockError(refused, 'LOCK_LOST')).toBe(true);
      expect((await b.readHistory()).filter((entry) => entry.changeId === 'late')).toEqual([]);
      expect(await a.lock.renew(first.lease, 10_000)).toBe(false);
      expect(await a.lock.release(first.lease)).toBe(false);
      expect((await a.lock.inspect())?.owner).toBe('owner-b');
      expect(await b.lock.release(second.lease)).toBe(true);
    });
  });

  it('session lock: a lost session is reported through onLost, its lease refused, status shows it expired, and it is cleared and taken over without --force', async (test) => {
    const { severLockSession } = fixture();
    const connection = await fixture().driver().connect(TESTKIT_SETTINGS);
    try {
      if (connection.capabilities.lease) return test.skip('lease lock: it is lost by expiry (the scenario above)');
      if (severLockSession === undefined) return test.skip('the harness cannot end a server session (no severLockSession)');
      let lost: unknown;
      const attempt = await connection.lock.tryAcquire({
        owner: 'dead-runner',
        leaseMs: 10_000,
        hostname: 'gone',
        onLost: (cause) => {
          lost = cause;
        },
      });
      if (!attempt.acquired) throw new Error('could not take the lock for the test');
      await severLockSession();
      for (let i = 0; i < 100 && lost === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lost).toBeInstanceOf(Error);
      expect(await connection.lock.renew(attempt.lease, 10_000)).toBe(false);
    } finally {
      await connection.close();
    }
    // What the dead holder left reads as expired; a plain unlock (no --force) may clear it.
    const status = await builder(marker('after-loss', '001')).buildRunner().status();
    expect(status.lock).toMatchObject({ owner: 'dead-runner', hostname: 'gone', expired: true });
    expect((await builder(marker('after-loss', '001')).buildRunner().unlock()).released).toBe(true);
    const result = await builder(marker('after-loss', '001')).buildRunner().execute();
    expect(result.executed).toBe(1);
    expect(await fixture().countMarkers('after-loss')).toBe(1);
    expect((await builder(marker('after-loss', '001')).buildRunner().status()).lock).toBeNull();
  });

  it("a crashed change stops the next run with onInterruptedChange 'fail' (nothing applied), until unlock --force; then the run applies", async () => {
    const connection = await fixture().driver().connect(TESTKIT_SETTINGS);
    try {
      const attempt = await connection.lock.tryAcquire({ owner: 'crashed', leaseMs: 10_000, hostname: 'host-a', onLost: () => {} });
      if (!attempt.acquired) throw new Error('could not take the lock for the test');
      await connection.lock.markInProgress(attempt.lease, { ...CHANGE, changeId: 'b' });
      expect(await connection.lock.release(attempt.lease)).toBe(true);
    } finally {
      await connection.close();
    }
    const units = [marker('a', '001'), marker('b', '002')];
    const error = await builder(...units)
      .setOnInterruptedChange('fail')
      .buildRunner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'CHANGE_INTERRUPTED')).toBe(true);
    expect((error as { changeId?: string }).changeId).toBe('b');
    expect(await fixture().countMarkers('a')).toBe(0);
    const status = await builder(...units)
      .buildRunner()
      .status();
    expect(status.lock).toMatchObject({ inProgress: { changeId: 'b' } });
    expect(
      (
        await builder(...units)
          .buildRunner()
          .unlock({ force: true })
      ).released,
    ).toBe(true);
    expect(
      (
        await builder(...units)
          .buildRunner()
          .execute()
      ).executed,
    ).toBe(2);
    for (const id of ['a', 'b']) expect(await fixture().countMarkers(id)).toBe(1);
  });

  it("checksum drift: status reports the edited unit, 'fail' runs nothing, acceptChecksum lets the run go on without re-running it", async () => {
    const original = marker('drift', '001');
    const edited = defineChangeUnit<TContext>({
      id: 'drift',
      order: '001',
      author: 'testkit',
      execute: async (ctx) => {
        await fixture().insertMarker(ctx, 'drift');
      },
      rollback: (ctx) => fixture().deleteMarkers(ctx, 'drift'),
    });
    await builder(original).buildRunner().execute();
    const status = await builder(edited).buildRunner().status();
    expect(status.units.find((unit) => unit.changeId === 'drift')).toMatchObject({ state: 'executed', changed: true });
    const error = await builder(edited, marker('next', '002'))
      .setOnChecksumMismatch('fail')
      .buildRunner()
      .execute()
      .catch((e: unknown) => e);
    expect(isMongockError(error, 'CHECKSUM_MISMATCH')).toBe(true);
    expect(await fixture().countMarkers('next')).toBe(0);
    expect((await builder(edited).buildRunner().acceptChecksum('drift')).accepted.length).toBeGreaterThan(0);
    const result = await builder(edited, marker('next', '002')).setOnChecksumMismatch('fail').buildRunner().execute();
    expect(result.executed).toBe(1);
    expect(await fixture().countMarkers('drift')).toBe(1);
    expect(await fixture().countMarkers('next')).toBe(1);
    expect((await builder(edited).buildRunner().status()).units[0]).toMatchObject({ changed: false });
  });
}
