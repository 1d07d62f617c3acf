import { expect, it } from 'vitest';
import type { ChangeUnitDefinition } from '../../change/define-change-unit.ts';
import type { MongockError } from '../../errors/mongock-error.ts';
import type { ChangeEntry } from '../../history/change-entry.ts';
import { manualResolutionOf } from '../../history/manual-resolution.ts';
import { silentLogger } from '../../log/logger.ts';
import { MongockBuilder } from '../../runner/mongock-builder.ts';
import type { MongockRunner } from '../../runner/mongock-runner.ts';
import type { Driver } from '../driver.ts';
import type { DriverHarness } from './driver-harness.ts';
import { foreignEntry, markerUnits, TESTKIT_SETTINGS, testkitBuilder, testkitSuite } from './testkit-suite.ts';

const QUICK = { acquiredForMs: 3_000, tryFrequencyMs: 100, quitTryingAfterMs: 5_000 };

/**
 * The operations every driver passes on its real database (docs/operations.md): `mark` (applied,
 * rolled back, all pending, refused under a live holder, `force` on a dead lease), per-unit
 * recovery (`manual`, `retry`), `doctor`'s findings, `step`/`only` with their dry runs, and
 * after-steps.
 *
 * @example One harness serves every suite of the testkit.
 * ```ts
 * import { type DriverHarness, runDriverTestkit, runOperationsTestkit } from 'mongock/testkit';
 *
 * declare const redisHarness: DriverHarness<{ redis: unknown }>;
 *
 * runDriverTestkit(redisHarness);
 * runOperationsTestkit(redisHarness);
 * ```
 */
export function runOperationsTestkit<TContext extends object>(harness: DriverHarness<TContext>): void {
  testkitSuite(harness, `driver testkit: ${harness.name}: operations`, (fixture) => {
    type Unit = ChangeUnitDefinition<TContext>;
    const marker = markerUnits(fixture, 'ops');
    const runner = (units: readonly Unit[], driver: Driver<TContext> = fixture().driver()): MongockRunner =>
      testkitBuilder(driver, ...units)
        .setLockConfig(QUICK)
        .withMetadata({ suite: 'operations' })
        .buildRunner();
    const history = async (): Promise<ChangeEntry[]> => {
      const connection = await fixture().driver().connect(TESTKIT_SETTINGS);
      try {
        return await connection.readHistory();
      } finally {
        await connection.close();
      }
    };
    const databaseNow = async (): Promise<number> => {
      const connection = await fixture().driver().connect(TESTKIT_SETTINGS);
      try {
        return (await connection.now!()).getTime();
      } finally {
        await connection.close();
      }
    };
    /** A non-transactional unit that writes its marker, then fails, and whose rollback fails too: the data is in between. */
    const halfDone = (id: string, order: string, state: { fail: boolean }, extra: Partial<Unit> = {}): Unit =>
      marker(id, order, {
        transactional: false,
        async execute(ctx) {
          await fixture().insertMarker(ctx, id);
          if (state.fail) throw new Error(`${id} failed half-way`);
        },
        async rollback() {
          if (state.fail) throw new Error(`${id}'s rollback failed too`);
        },
        ...extra,
      });

    it("recovery 'manual' stops with the mark commands; mark --applied resolves it (who, why, database time) and the next run goes on", async () => {
      const state = { fail: true };
      const units = [marker('first', '001'), halfDone('half', '002', state, { recovery: 'manual' }), marker('third', '003')];
      const failed = (await runner(units)
        .execute()
        .catch((e: unknown) => e)) as MongockError;
      expect(failed.code).toBe('ROLLBACK_FAILED');
      expect(await fixture().countMarkers('half')).toBe(1);

      state.fail = false; // whatever would happen now, 'manual' must not guess
      const stopped = (await runner(units)
        .execute()
        .catch((e: unknown) => e)) as MongockError;
      expect(stopped.code).toBe('MANUAL_RESOLUTION_REQUIRED');
      expect(stopped.changeId).toBe('half');
      expect(stopped.message).toContain("needs a human decision (recovery: 'manual')");
      expect(stopped.message).toContain('mongock mark half --applied');
      expect(stopped.message).toContain('mongock mark half --rolled-back');
      expect(await fixture().countMarkers('half')).toBe(1);
      expect(await fixture().countMarkers('third')).toBe(0);
      expect((await runner(units).diagnose()).blocking).toBe(true);

      const before = await databaseNow();
      const marked = await runner(units).mark({ changeId: 'half', resolution: 'applied', reason: 'finished by hand', by: 'alice' });
      expect(marked.marked).toEqual([{ changeId: 'half', author: 'ops', type: 'EXECUTION', previousState: 'interrupted', state: 'EXECUTED' }]);
      expect(marked.at!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(marked.at!.getTime()).toBeLessThanOrEqual((await databaseNow()) + 1_000);
      const entry = (await history()).find((e) => e.changeId === 'half' && e.state === 'EXECUTED')!;
      expect(entry.executionId).toMatch(/^manual-/);
      expect(entry.metadata).toMatchObject({ suite: 'operations' });
      expect(manualResolutionOf(entry)).toEqual({ manual: true, resolution: 'applied', by: 'alice', reason: 'finished by hand', previousState: 'interrupted' });
      expect(entry.errorTrace).toBeNull();
      expect(entry.executionMillis).toBe(-1);

      const status = await runner(units).status();
      const half = status.units.find((u) => u.changeId === 'half')!;
      expect(half.state).toBe('executed');
      expect(half.manual).toMatchObject({ by: 'alice', reason: 'finished by hand', resolution: 'applied' });
      expect(status.lock?.inProgress ?? null).toBeNull();

      const next = await runner(units).execute();
      expect(next.items.map((i) => [i.changeId, i.outcome])).toEqual([
        ['first', 'skipped'],
        ['half', 'skipped'],
        ['third', 'executed'],
      ]);
      expect(await fixture().countMarkers('half')).toBe(1);
      expect(await fixture().countMarkers('third')).toBe(1);
    });

    it('mark --rolled-back makes the next run apply an executed unit again', async () => {
      const units = [marker('redo', '001')];
      await runner(units).execute();
      const marked = await runner(units).mark({ changeId: 'redo', resolution: 'rolled-back', reason: 'rows deleted by hand' });
      expect(marked.marked.map((m) => [m.changeId, m.previousState, m.state])).toEqual([['redo', 'EXECUTED', 'ROLLED_BACK']]);
      expect(marked.by).not.toBe('');
      expect((await runner(units).status()).units[0]!.state).toBe('rolled-back');
      const again = await runner(units).execute();
      expect(again.executed).toBe(1);
      expect(await fixture().countMarkers('redo')).toBe(2);
      // Marking what is already true writes nothing.
      const same = await runner(units).mark({ changeId: 'redo', resolution: 'applied' });
      expect(same.marked).toEqual([]);
      expect(same.unchanged).toEqual([{ changeId: 'redo', author: 'ops', why: 'already executed' }]);
    });

    it("recovery 'retry' applies an unresolved attempt again without calling its rollback", async () => {
      const state = { fail: true };
      const rollbacks: string[] = [];
      const units = [
        halfDone('idem', '001', state, {
          recovery: 'retry',
          async rollback() {
            rollbacks.push('idem');
            if (state.fail) throw new Error('rollback failed');
          },
        }),
      ];
      await runner(units)
        .execute()
        .catch(() => undefined);
      rollbacks.length = 0;
      state.fail = false;
      const result = await runner(units).execute();
      expect(result.items.map((i) => [i.changeId, i.outcome])).toEqual([['idem', 'executed']]);
      expect(rollbacks).toEqual([]);
      expect(await fixture().countMarkers('idem')).toBe(2);
    });

    it('mark is refused while a live runner holds the lock; --force takes only a lease whose holder is gone', async () => {
      const units = [marker('held', '001')];
      const holder = await fixture().driver().connect(TESTKIT_SETTINGS);
      try {
        const attempt = await holder.lock.tryAcquire({ owner: 'live-runner', leaseMs: 30_000, hostname: 'busy-host', onLost: () => {} });
        expect(attempt.acquired).toBe(true);
        const started = performance.now();
        const refused = (await runner(units)
          .mark({ changeId: 'held', resolution: 'applied' })
          .catch((e: unknown) => e)) as MongockError;
        expect(performance.now() - started).toBeLessThan(QUICK.quitTryingAfterMs);
        expect(refused.code).toBe('LOCK_NOT_ACQUIRED');
        expect(refused.message).toContain('live-runner on busy-host');
        const forced = await runner(units)
          .mark({ changeId: 'held', resolution: 'applied', force: true })
          .catch((e: unknown) => e);
        if (holder.capabilities.lease) {
          expect((forced as { marked: unknown[] }).marked).toHaveLength(1);
          expect((await runner(units).status()).units[0]!.state).toBe('executed');
        } else {
          expect((forced as MongockError).code).toBe('LOCK_NOT_ACQUIRED');
          expect((forced as MongockError).message).toContain('session lock');
          expect((await runner(units).status()).units[0]!.state).toBe('pending');
        }
      } finally {
        await holder.close();
      }
    });

    it('mark --all-pending --applied adopts an existing database (dry run first), without running anything', async () => {
      const ran: string[] = [];
      const units = ['a1', 'a2', 'a3'].map((id, i) =>
        marker(id, `00${i}`, {
          async execute(ctx) {
            ran.push(id);
            await fixture().insertMarker(ctx, id);
          },
        }),
      );
      await runner(units.slice(0, 1)).execute();
      const preview = await runner(units).mark({ allPending: true, resolution: 'applied', dryRun: true });
      expect(preview.dryRun).toBe(true);
      expect(preview.marked.map((m) => m.changeId)).toEqual(['a2', 'a3']);
      expect((await history()).filter((e) => e.executionId.startsWith('manual-'))).toEqual([]);
      const adopted = await runner(units).mark({ allPending: true, resolution: 'applied', reason: 'schema created by the old scripts' });
      expect(adopted.marked.map((m) => [m.changeId, m.previousState])).toEqual([
        ['a2', 'pending'],
        ['a3', 'pending'],
      ]);
      expect((await runner(units).execute()).status).toBe('up-to-date');
      expect(ran).toEqual(['a1']);
    });

    it('--step and --only on a history with gaps, with dry runs that change nothing', async () => {
      const units = ['u1', 'u2', 'u3', 'u4', 'u5'].map((id, i) => marker(id, `00${i + 1}`));
      const refused = (await runner(units)
        .execute({ only: 'u3' })
        .catch((e: unknown) => e)) as MongockError;
      expect(refused.code).toBe('INVALID_CONFIG');
      expect(refused.message).toContain("ordered before it are pending ('u1', 'u2')");
      expect(refused.message).toContain('--out-of-order');
      const only = await runner(units).execute({ only: 'u3', outOfOrder: true });
      expect(only.items.filter((i) => i.outcome === 'executed').map((i) => i.changeId)).toEqual(['u3']);

      expect((await runner(units).plan({ step: 2 })).units.map((u) => u.changeId)).toEqual(['u1', 'u2']);
      const step = await runner(units).execute({ step: 2 });
      expect(step.items.filter((i) => i.outcome === 'executed').map((i) => i.changeId)).toEqual(['u1', 'u2']);
      expect((await runner(units).status()).units.map((u) => u.state)).toEqual(['executed', 'executed', 'executed', 'pending', 'pending']);

      expect((await runner(units).planUndo({ step: 2 })).units.map((u) => u.changeId)).toEqual(['u3', 'u2']);
      for (const id of ['u1', 'u2', 'u3']) expect(await fixture().countMarkers(id)).toBe(1);
      const undone = await runner(units).undo({ step: 2 });
      expect(undone.items.map((i) => i.changeId)).toEqual(['u3', 'u2']);
      expect((await runner(units).status()).units.map((u) => u.state)).toEqual(['executed', 'rolled-back', 'rolled-back', 'pending', 'pending']);
      expect((await runner(units).execute({ step: 1 })).items.filter((i) => i.outcome === 'executed').map((i) => i.changeId)).toEqual(['u2']);
      expect(await fixture().countMarkers('u4')).toBe(0);
    });

    it('an after-step runs once the unit committed, as its own entry; its failure leaves the unit EXECUTED and it is retried', async () => {
      const state = { fail: true };
      const seen: number[] = [];
      const unit = marker('copy', '001', {
        async after(ctx) {
          // Read through another connection: the unit's writes must already be committed.
          seen.push(await fixture().countMarkers('copy'));
          await fixture().insertMarker(ctx, 'copy_after');
          if (state.fail) throw new Error('drop failed');
        },
        async rollbackAfter(ctx) {
          await fixture().deleteMarkers(ctx, 'copy_after');
        },
      });
      const failed = (await runner([unit, marker('later', '002')])
        .execute()
        .catch((e: unknown) => e)) as MongockError;
      expect(failed.code).toBe('CHANGE_FAILED');
      expect(failed.changeId).toBe('copy_after');
      expect(failed.message).toContain('stays EXECUTED');
      expect(seen).toEqual([1]);
      const entries = await history();
      expect(entries.find((e) => e.changeId === 'copy')).toMatchObject({ state: 'EXECUTED', type: 'EXECUTION' });
      expect(entries.find((e) => e.changeId === 'copy_after')).toMatchObject({ state: 'FAILED', type: 'EXECUTION', changeSetMethod: 'after' });
      const status = await runner([unit, marker('later', '002')]).status();
      expect(status.units.map((u) => [u.changeId, u.state, u.afterStep])).toEqual([
        ['copy', 'executed', 'failed'],
        ['later', 'pending', null],
      ]);
      expect(status.lock?.inProgress ?? null).toBeNull();

      state.fail = false;
      const retried = await runner([unit, marker('later', '002')]).execute();
      expect(retried.items.map((i) => [i.changeId, i.outcome])).toEqual([
        ['copy', 'skipped'],
        ['copy_after', 'executed'],
        ['later', 'executed'],
      ]);
      expect(await fixture().countMarkers('copy')).toBe(1);
      expect(await fixture().countMarkers('copy_after')).toBe(2);
      expect((await history()).filter((e) => e.changeId === 'copy_after').map((e) => e.state)).toEqual(['FAILED', 'EXECUTED']);

      const undone = await runner([unit, marker('later', '002')]).undo({ to: 'copy' });
      expect(undone.items.map((i) => i.changeId)).toEqual(['later', 'copy_after', 'copy']);
      expect(await fixture().countMarkers('copy_after')).toBe(0);
    });

    it('doctor lists each problem kind with what to do, and blocks on what would stop the next run', async () => {
      const state = { fail: true };
      const units = [
        marker('010', '010'),
        marker('late', '005'),
        halfDone('stuck', '020', state, { recovery: 'manual' }),
        marker('dev-only', '030', { profiles: ['dev'] }),
        marker('future', '040', { systemVersion: '9.0' }),
      ];
      const build = () =>
        new MongockBuilder()
          .setDriver(fixture().driver())
          .addChangeUnits(...units)
          .setLockConfig(QUICK)
          .setLogger(silentLogger)
          .setEndSystemVersion('2.0');
      await build().buildRunner().execute({ only: '010', outOfOrder: true });
      await build()
        .buildRunner()
        .execute({ only: 'stuck', outOfOrder: true })
        .catch(() => undefined);
      // A unit that was renamed since it ran, and a live lock.
      const connection = await fixture().driver().connect(TESTKIT_SETTINGS);
      try {
        const attempt = await connection.lock.tryAcquire({ owner: 'other-runner', leaseMs: 30_000, hostname: 'elsewhere', onLost: () => {} });
        if (!attempt.acquired) throw new Error('could not take the lock for the test');
        await connection.runInScope({ transactional: false, lease: attempt.lease, guard: { ensure: async () => {} } }, (scope) =>
          scope.saveEntry(foreignEntry('renamed-away', 'ops', 'old-run', 'elsewhere')),
        );
        // The holder's next lock write, as a runner makes after each unit: a driver may carry the entry in it (see Scope.saveEntry).
        await connection.lock.markInProgress(attempt.lease, null);
        const diagnosis = await build().buildRunner().diagnose();
        const kinds = new Set(diagnosis.findings.map((f) => f.check));
        for (const check of ['failed-change', 'lock', 'unknown-history-entry', 'filtered-unit', 'surprising-order']) expect(kinds, check).toContain(check);
        expect(diagnosis.blocking).toBe(true);
        const stuck = diagnosis.findings.find((f) => f.changeId === 'stuck' && f.severity === 'blocking')!;
        expect(stuck.fix.join('\n')).toContain('mongock mark stuck --applied');
        expect(diagnosis.findings.find((f) => f.check === 'unknown-history-entry')!.changeId).toBe('renamed-away');
        expect(diagnosis.findings.filter((f) => f.check === 'filtered-unit').map((f) => f.message)).toEqual([
          expect.stringContaining('do not match the active profiles [default]'),
          expect.stringContaining("systemVersion '9.0' is outside the window ['0', '2.0']"),
        ]);
        expect(diagnosis.findings.find((f) => f.check === 'lock')!.message).toContain('other-runner on elsewhere');
        const status = await build().buildRunner().status();
        expect(status.filtered.map((u) => [u.changeId, u.reason])).toEqual([
          ['dev-only', 'profile'],
          ['future', 'system-version'],
        ]);
        expect(status.ignored.map((e) => e.changeId)).toEqual(['renamed-away']);
        expect(await connection.lock.release(attempt.lease)).toBe(true);
      } finally {
        await connection.close();
      }
    });
  });
}
