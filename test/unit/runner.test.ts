import { describe, expect, it } from 'vitest';
import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import {
  BeforeExecution,
  ChangeLog,
  ChangeSet,
  ChangeUnit,
  compareSystemVersions,
  defineChangeUnit,
  Execution,
  type Logger,
  MongockBuilder,
  type MongockError,
  Profile,
  RollbackBeforeExecution,
  RollbackExecution,
  silentLogger,
} from '../../src/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

type Ctx = MemoryChangeContext & { log: Logger; metadata: Readonly<Record<string, unknown>> };

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const unit = (id: string, order: string, extra: Partial<Parameters<typeof defineChangeUnit<Ctx>>[0]> = {}) =>
  defineChangeUnit<Ctx>({
    id,
    order,
    author: 'dev',
    execute: async ({ kv }) => kv.set(id, ((await kv.get<number>(id)) ?? 0) + 1),
    rollback: async ({ kv }) => kv.delete(id),
    ...extra,
  });

function builder(database = new MemoryDatabase(), driverOptions: { transactions?: boolean } = {}) {
  return new MongockBuilder()
    .setDriver(memoryDriver({ database, ...driverOptions }))
    .setLogger(silentLogger)
    .setLockQuickConfig();
}

describe('ordering and selection', () => {
  it('sorts by order as strings, ChangeLog then ChangeSet order, and warns about widths', async () => {
    const ran: string[] = [];
    const track = (id: string, order: string) => unit(id, order, { execute: () => void ran.push(id) });
    @ChangeLog({ order: '005' })
    class Legacy {
      @ChangeSet({ id: 'set-b', author: 'dev', order: '002' }) b() {
        ran.push('set-b');
      }
      @ChangeSet({ id: 'set-a', author: 'dev', order: '001' }) a() {
        ran.push('set-a');
      }
    }
    const logger = recordingLogger();
    await builder().setLogger(logger).addChangeUnits(track('ten', '10'), track('two', '2'), Legacy, track('one', '1')).buildRunner().execute();
    expect(ran).toEqual(['set-a', 'set-b', 'one', 'ten', 'two']);
    expect(logger.lines.some((l) => l.startsWith('warn') && l.includes('compared as strings, so order'))).toBe(true);
  });

  it('compares system versions numerically, with an inclusive window', async () => {
    expect(compareSystemVersions('2.10', '2.9')).toBeGreaterThan(0);
    expect(compareSystemVersions('1', '1.0.0')).toBe(0);
    expect(compareSystemVersions('2.0-rc1', '2.0')).toBeLessThan(0);
    expect(compareSystemVersions('2.0-alpha', '2.0-beta')).toBeLessThan(0);
    const result = await builder()
      .addChangeUnits(
        unit('v1', '001', { systemVersion: '1' }),
        unit('v1.1', '002', { systemVersion: '1.1' }),
        unit('v2.5.1', '003', { systemVersion: '2.5.1' }),
        unit('v2.9', '004', { systemVersion: '2.9' }),
        unit('v2.10', '005', { systemVersion: '2.10' }),
        unit('v0', '006'),
      )
      .setStartSystemVersion('1')
      .setEndSystemVersion('2.9')
      .buildRunner()
      .execute();
    expect(result.items.map((i) => i.changeId)).toEqual(['v1', 'v1.1', 'v2.5.1', 'v2.9']);
  });

  it('selects by profile: none set means default; ! negates', async () => {
    @Profile('dev')
    @ChangeUnit({ id: 'dev-only', order: '001', author: 'dev' })
    class DevOnly {
      @Execution() run() {}
      @RollbackExecution() undo() {}
    }
    @ChangeUnit({ id: 'not-prod', order: '002', author: 'dev' })
    @Profile('!prod')
    class NotProd {
      @Execution() run() {}
      @RollbackExecution() undo() {}
    }
    @ChangeLog({ order: '003' })
    class Sets {
      @Profile('default') @ChangeSet({ id: 'default-set', author: 'dev', order: '001' }) a() {}
      @ChangeSet({ id: 'any-set', author: 'dev', order: '002' }) b() {}
    }
    const ids = async (profiles: string[]) =>
      (await builder().addChangeUnits(DevOnly, NotProd, Sets).setActiveProfiles(profiles).buildRunner().validate()).units.map((u) => u.changeId);
    expect(await ids([])).toEqual(['not-prod', 'default-set', 'any-set']);
    expect(await ids(['dev'])).toEqual(['dev-only', 'not-prod', 'any-set']);
    expect(await ids(['prod'])).toEqual(['any-set']);
  });

  it('fills a missing author with defaultAuthor', async () => {
    const database = new MemoryDatabase();
    await builder(database)
      .addChangeUnits(defineChangeUnit({ id: 'anon', order: '1', execute() {}, rollback() {} }))
      .setDefaultAuthor('team-a')
      .buildRunner()
      .execute();
    expect(database.history[0]).toMatchObject({ changeId: 'anon', author: 'team-a' });
    const fallback = new MemoryDatabase();
    await builder(fallback)
      .addChangeUnits(defineChangeUnit({ id: 'anon', order: '1', execute() {}, rollback() {} }))
      .buildRunner()
      .execute();
    expect(fallback.history[0]!.author).toBe('default_author');
  });
});

describe('runner', () => {
  it('returns a typed result, emits events, passes dependencies and metadata, takes no lock when nothing is pending', async () => {
    const database = new MemoryDatabase();
    const seen: unknown[] = [];
    const events: string[] = [];
    const build = () =>
      builder(database)
        .addChangeUnits(unit('a', '1', { execute: (ctx) => void seen.push([(ctx as unknown as { api: string }).api, ctx.metadata]) }))
        .addDependency('api', 'the-api')
        .withMetadata({ release: '7' })
        .setServiceIdentifier('svc')
        .setMigrationStartedListener(() => events.push('started'))
        .setMigrationSuccessListener(({ result }) => events.push(`succeeded:${result.status}`))
        .buildRunner();
    const runner = build();
    runner.on('unit-finished', ({ item }) => events.push(`${item.changeId}:${item.outcome}`));
    runner.on('lock-acquired', () => events.push('lock'));
    const result = await runner.execute();
    expect(result).toMatchObject({ status: 'completed', executed: 1, failed: 0 });
    expect(result.items[0]).toMatchObject({ changeId: 'a', author: 'dev', type: 'EXECUTION', outcome: 'executed' });
    expect(seen).toEqual([['the-api', { release: '7' }]]);
    expect(events).toEqual(['started', 'lock', 'a:executed', 'succeeded:completed']);
    expect(database.history[0]!.executionHostname).toMatch(/-svc$/);
    expect(database.history[0]!.metadata).toEqual({ release: '7' });

    events.length = 0;
    const again = build();
    again.on('lock-acquired', () => events.push('lock'));
    expect((await again.execute()).status).toBe('up-to-date');
    expect(events).toEqual(['started', 'succeeded:up-to-date']);
  });

  it('enabled: false does nothing at all', async () => {
    const database = new MemoryDatabase();
    const result = await builder(database).addChangeUnits(unit('a', '1')).setEnabled(false).buildRunner().execute();
    expect(result.status).toBe('disabled');
    expect(database.calls.size).toBe(0);
  });

  it('execute({ to }) applies up to and including a unit', async () => {
    const database = new MemoryDatabase();
    const result = await builder(database).addChangeUnits(unit('a', '1'), unit('b', '2'), unit('c', '3')).buildRunner().execute({ to: 'b' });
    expect(result.items.map((i) => i.changeId)).toEqual(['a', 'b']);
    expect(database.data.has('c')).toBe(false);
  });

  it('runs before-steps outside the transaction, records them as <id>_before, and rolls them back when the unit fails', async () => {
    const database = new MemoryDatabase();
    @ChangeUnit({ id: 'with-before', order: '1', author: 'dev' })
    class WithBefore {
      @BeforeExecution() async before({ kv }: Ctx) {
        await kv.set('ddl', true);
      }
      @RollbackBeforeExecution() async undoBefore({ kv }: Ctx) {
        await kv.delete('ddl');
      }
      @Execution() async run({ kv }: Ctx) {
        await kv.set('data', true);
        throw new Error('data step failed');
      }
      @RollbackExecution() async rollback() {}
    }
    const error = (await builder(database)
      .addChangeUnits(WithBefore)
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('CHANGE_FAILED');
    expect(error.changeId).toBe('with-before');
    expect(database.data.has('data')).toBe(false); // the transaction took it back
    expect(database.data.has('ddl')).toBe(false); // the before-step's rollback ran
    expect(database.history.map((e) => [e.changeId, e.type, e.state])).toEqual([
      ['with-before_before', 'BEFORE_EXECUTION', 'ROLLED_BACK'],
      ['with-before', 'EXECUTION', 'FAILED'],
    ]);
    expect(JSON.parse(database.history[1]!.errorTrace!)['execution-error']).toContain('data step failed');
  });

  it('a failing rollback ends the run with ROLLBACK_FAILED, keeping the original cause', async () => {
    const database = new MemoryDatabase();
    const failing = unit('bad', '1', {
      transactional: false,
      execute: () => {
        throw new Error('original');
      },
      rollback: () => {
        throw new Error('rollback broke');
      },
    });
    const error = (await builder(database)
      .addChangeUnits(failing)
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('ROLLBACK_FAILED');
    expect((error.cause as Error).message).toBe('original');
    expect(error.message).toContain('rollback broke');
    expect(database.history.map((e) => e.state)).toEqual(['ROLLBACK_FAILED']);
    const trace = JSON.parse(database.history[0]!.errorTrace!);
    expect(trace['execution-error']).toContain('original');
    expect(trace['rollback-error']).toContain('rollback broke');
  });

  it('a legacy ChangeLog with failFast: false skips the rest of its ChangeSets and carries on', async () => {
    const database = new MemoryDatabase();
    @ChangeLog({ order: '1', failFast: false })
    class Log {
      @ChangeSet({ id: 's1', author: 'dev', order: '1' }) s1() {
        throw new Error('s1 failed');
      }
      @ChangeSet({ id: 's2', author: 'dev', order: '2' }) s2() {}
    }
    const result = await builder(database).addChangeUnits(Log, unit('after', '2')).buildRunner().execute();
    expect(result.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['s1', 'failed'],
      ['s2', 'skipped'],
      ['after', 'executed'],
    ]);
  });

  it("transactionStrategy 'execution' commits everything together or nothing", async () => {
    const database = new MemoryDatabase();
    const failing = unit('second', '2', {
      execute: async ({ kv }) => {
        await kv.set('second', 1);
        throw new Error('second failed');
      },
    });
    const error = (await builder(database)
      .addChangeUnits(unit('first', '1'), failing)
      .setTransactionStrategy('execution')
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('CHANGE_FAILED');
    expect(database.data.size).toBe(0);
    expect(database.history.map((e) => [e.changeId, e.state])).toEqual([['second', 'FAILED']]);
    const ok = await builder(database).addChangeUnits(unit('first', '1'), unit('second', '2')).setTransactionStrategy('execution').buildRunner().execute();
    expect(ok.executed).toBe(2);
    expect([...database.data.keys()]).toEqual(['first', 'second']);
  });

  it("without transactions, 'execution' strategy rolls back every unit of the run, newest first", async () => {
    const database = new MemoryDatabase();
    const order: string[] = [];
    const tracked = (id: string, o: string, fail = false) =>
      unit(id, o, {
        execute: async ({ kv }) => {
          await kv.set(id, 1);
          if (fail) throw new Error(`${id} failed`);
        },
        rollback: async ({ kv }) => {
          order.push(id);
          await kv.delete(id);
        },
      });
    await builder(database, { transactions: false })
      .addChangeUnits(tracked('one', '1'), tracked('two', '2'), tracked('three', '3', true))
      .setTransactionStrategy('execution')
      .buildRunner()
      .execute()
      .catch(() => undefined);
    expect(order).toEqual(['three', 'two', 'one']);
    expect(database.data.size).toBe(0);
    expect(database.history.map((e) => [e.changeId, e.state])).toEqual([
      ['one', 'ROLLED_BACK'],
      ['two', 'ROLLED_BACK'],
      ['three', 'ROLLED_BACK'],
    ]);
  });

  it('undo refuses units without a rollback before rolling anything back, and status reflects everything', async () => {
    const database = new MemoryDatabase();
    @ChangeLog({ order: '1' })
    class Old {
      @ChangeSet({ id: 'old', author: 'dev', order: '1' }) run() {}
    }
    const runner = builder(database).addChangeUnits(Old, unit('new', '2')).buildRunner();
    await runner.execute();
    const error = (await runner.undo({ last: 2 }).catch((e) => e)) as MongockError;
    expect(error.code).toBe('UNDO_FAILED');
    expect(error.message).toContain("@ChangeSet 'old'");
    expect(database.data.get('new')).toBe(1);
    await expect(runner.undo({ to: 'missing' })).rejects.toThrow(/no executed change unit has that id/);
    const undone = await runner.undo({ last: 1 });
    expect(undone.items.map((i) => [i.changeId, i.outcome])).toEqual([['new', 'rolled-back']]);
    const status = await runner.status();
    expect(status.units.map((u) => [u.changeId, u.state])).toEqual([
      ['old', 'executed'],
      ['new', 'rolled-back'],
    ]);
  });

  it('throwExceptionIfCannotObtainLock: false starts without migrating, with a warning', async () => {
    const database = new MemoryDatabase();
    await database.lock.tryAcquire({ owner: 'someone-else', leaseMs: 60_000, hostname: 'other-host', onLost: () => {} });
    const logger = recordingLogger();
    const quick = { acquiredForMs: 3000, tryFrequencyMs: 100, quitTryingAfterMs: 300 };
    // The runner retries for 300 ms of its clock, which moves as it waits: no real time passes.
    const clock = new ManualClock();
    const result = await builder(database)
      .setLogger(logger)
      .setClock(clock)
      .setLockConfig(quick)
      .addChangeUnits(unit('a', '1'))
      .dontFailIfCannotAcquireLock()
      .buildRunner()
      .execute();
    expect(result.status).toBe('lock-not-acquired');
    expect(database.data.size).toBe(0);
    expect(logger.lines.some((l) => l.startsWith('warn') && l.includes('held by someone-else on other-host'))).toBe(true);
    const error = (await builder(database)
      .setLockConfig(quick)
      .setClock(clock)
      .addChangeUnits(unit('a', '1'))
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('LOCK_NOT_ACQUIRED');
    // Both runs waited between their attempts (tryFrequencyMs), on the clock.
    expect(clock.slept.filter((ms) => ms === 100).length).toBeGreaterThanOrEqual(4);
    expect(error.message).toContain('held by someone-else on other-host');
  });

  it('a lock lost mid-unit fails the unit’s database calls and nothing is committed', async () => {
    const database = new MemoryDatabase();
    const stealer = unit('slow', '1', {
      execute: async ({ kv }) => {
        await kv.set('slow', 'part one');
        // Another runner takes the lock over once the lease has run out (the database clock jumps).
        const realNow = database.now;
        database.now = () => realNow() + 120_000;
        await database.lock.tryAcquire({ owner: 'usurper', leaseMs: 600_000, hostname: 'h', onLost: () => {} });
        await kv.set('slow', 'part two');
      },
    });
    const error = (await builder(database)
      .addChangeUnits(stealer, unit('next', '2'))
      .buildRunner()
      .execute()
      .catch((e) => e)) as MongockError;
    expect(error.code).toBe('LOCK_LOST');
    expect(database.data.size).toBe(0);
    expect(database.history).toEqual([]);
    expect((await database.lock.inspect())?.owner).toBe('usurper');
  });

  it('detects a non-transactional change interrupted by a crash and refuses until cleared', async () => {
    const database = new MemoryDatabase();
    await database.lock.tryAcquire({ owner: 'crashed', leaseMs: 3000, hostname: 'dead-host', onLost: () => {} });
    await database.lock.markInProgress(
      { owner: 'crashed', fence: 1 },
      { changeId: 'half', author: 'dev', executionId: 'x', startedAt: new Date(), hostname: 'dead-host' },
    );
    const realNow = database.now;
    database.now = () => realNow() + 10_000; // its lease ran out
    const runner = builder(database)
      .addChangeUnits(unit('half', '1', { transactional: false }))
      .setOnInterruptedChange('fail')
      .buildRunner();
    const error = (await runner.execute().catch((e) => e)) as MongockError;
    expect(error.code).toBe('CHANGE_INTERRUPTED');
    expect(error.changeId).toBe('half');
    expect(error.message).toContain('mongock unlock --force');
    expect(database.data.size).toBe(0);
    expect((await runner.unlock()).released).toBe(true); // expired, so no force needed
    const result = await runner.execute();
    expect(result.executed).toBe(1);
  });

  it('by default rolls an interrupted non-transactional change back, records it, and applies it again', async () => {
    const database = new MemoryDatabase();
    database.data.set('half', 'partial');
    await database.lock.tryAcquire({ owner: 'crashed', leaseMs: 3000, hostname: 'dead-host', onLost: () => {} });
    await database.lock.markInProgress(
      { owner: 'crashed', fence: 1 },
      { changeId: 'half', author: 'dev', executionId: 'dead-run', startedAt: new Date(), hostname: 'dead-host' },
    );
    const realNow = database.now;
    database.now = () => realNow() + 10_000;
    const logger = recordingLogger();
    const result = await builder(database)
      .setLogger(logger)
      .addChangeUnits(unit('half', '1', { transactional: false }))
      .buildRunner()
      .execute();
    expect(result.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['half', 'recovered'],
      ['half', 'executed'],
    ]);
    expect(database.data.get('half')).toBe(1); // rollback deleted the partial value, the rerun wrote it once
    expect(database.history.map((e) => [e.executionId === 'dead-run', e.state])).toEqual([
      [true, 'ROLLED_BACK'],
      [false, 'EXECUTED'],
    ]);
    expect(JSON.parse(database.history[0]!.errorTrace!)['execution-error']).toContain('interrupted');
    expect(logger.lines.some((l) => l.startsWith('warn') && l.includes("Change 'half' by 'dev' was interrupted"))).toBe(true);
    expect((await database.lock.inspect())?.inProgress ?? null).toBeNull();
  });

  it('imports legacy history once, so old changes do not run again', async () => {
    const database = new MemoryDatabase();
    database.data.set('dbchangelog', [
      { changeId: 'legacy-one', author: 'dev', timestamp: new Date('2020-01-01'), changeLogClass: 'Old', changeSetMethod: 'm' },
    ]);
    const runner = () =>
      builder(database).addChangeUnits(unit('legacy-one', '1'), unit('fresh', '2')).setLegacyMigration({ collection: 'dbchangelog' }).buildRunner();
    const first = await runner().execute();
    expect(first.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['legacy-one', 'skipped'],
      ['fresh', 'executed'],
    ]);
    expect(database.history.find((e) => e.changeId === 'mongock-legacy-migration')).toMatchObject({ author: 'mongock', systemChange: true });
    expect(database.history.find((e) => e.changeId === 'legacy-one')).toMatchObject({ metadata: { 'migration-type': 'legacy' }, executionMillis: -1 });
    expect((await runner().execute()).status).toBe('up-to-date');
    expect(database.history.filter((e) => e.changeId === 'legacy-one')).toHaveLength(1);
  });

  it('instantiates classes once per run through a pluggable factory', async () => {
    const created: string[] = [];
    @ChangeUnit({ id: 'injected', order: '1', author: 'dev' })
    class Injected {
      constructor(readonly greeting: string) {}
      @Execution() async run({ kv }: Ctx) {
        await kv.set('greeting', this.greeting);
      }
      @RollbackExecution() rollback() {}
    }
    const database = new MemoryDatabase();
    await builder(database)
      .addChangeUnits(Injected)
      .setChangeUnitFactory((cls) => {
        created.push(cls.name);
        return new (cls as unknown as typeof Injected)('hello from the injector');
      })
      .buildRunner()
      .execute();
    expect(created).toEqual(['Injected']);
    expect(database.data.get('greeting')).toBe('hello from the injector');
  });
});

describe('MongockError.operation', () => {
  const fails = (message: string) => () => {
    throw new Error(message);
  };
  const failure = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('expected a MongockError')).catch((e) => e as MongockError);

  it('says which operation an error came from: execute, rollback (of a failed change) or undo, as umzug carries its direction', async () => {
    const failed = await failure(
      builder()
        .addChangeUnits(unit('boom', '1', { execute: fails('execute broke') }))
        .buildRunner()
        .execute(),
    );
    expect([failed.code, failed.operation, failed.changeId]).toEqual(['CHANGE_FAILED', 'execute', 'boom']);

    const rollbackFailed = await failure(
      builder()
        .addChangeUnits(unit('bad', '1', { transactional: false, execute: fails('original'), rollback: fails('rollback broke') }))
        .buildRunner()
        .execute(),
    );
    expect([rollbackFailed.code, rollbackFailed.operation]).toEqual(['ROLLBACK_FAILED', 'rollback']);

    const database = new MemoryDatabase();
    const runner = builder(database)
      .addChangeUnits(unit('kept', '1', { rollback: fails('cannot undo') }))
      .buildRunner();
    await runner.execute();
    const undoFailed = await failure(runner.undo({ last: 1 }));
    expect([undoFailed.code, undoFailed.operation, undoFailed.changeId]).toEqual(['UNDO_FAILED', 'undo', 'kept']);
    expect((undoFailed.cause as Error).message).toBe('cannot undo');
  });

  it('a lock lost mid-unit is a LOCK_LOST of the execute operation', async () => {
    const database = new MemoryDatabase();
    const stealer = unit('slow', '1', {
      execute: async ({ kv }) => {
        const realNow = database.now;
        database.now = () => realNow() + 120_000;
        await database.lock.tryAcquire({ owner: 'usurper', leaseMs: 600_000, hostname: 'h', onLost: () => {} });
        await kv.set('slow', 'too late');
      },
    });
    const lost = await failure(builder(database).addChangeUnits(stealer).buildRunner().execute());
    expect([lost.code, lost.operation]).toEqual(['LOCK_LOST', 'execute']);
  });
});
