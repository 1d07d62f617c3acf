import { describe, expect, it } from 'vitest';
import { MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { mongoDriver } from '../../src/drivers/mongodb/index.ts';
import { mysqlDriver } from '../../src/drivers/mysql/index.ts';
import { postgresDriver } from '../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import {
  ChangeLog,
  ChangeSet,
  ChangeUnit,
  defineChangeUnit,
  Execution,
  MongockBuilder,
  type MongockError,
  RollbackBeforeExecution,
  RollbackExecution,
  silentLogger,
} from '../../src/index.ts';

/** Builds and executes; returns the error. The memory database records every round trip. */
async function failure(
  configure: (builder: MongockBuilder) => MongockBuilder,
  database = new MemoryDatabase(),
): Promise<{ error: MongockError; database: MemoryDatabase }> {
  const builder = new MongockBuilder().setDriver(memoryDriver({ database })).setLogger(silentLogger);
  try {
    await configure(builder).buildRunner().execute();
  } catch (error) {
    return { error: error as MongockError, database };
  }
  throw new Error('expected the run to fail');
}

function expectUntouched(database: MemoryDatabase): void {
  expect(database.calls.get('connect') ?? 0).toBe(0);
  expect(database.history).toEqual([]);
  expect(database.data.size).toBe(0);
}

/**
 * Units in scan paths: the history is read first (one connect, one read), because files it
 * proves applied are not imported at all; then the bad file stops everything before the lock.
 */
function expectOnlyRead(database: MemoryDatabase): void {
  expect(database.calls.get('connect') ?? 0).toBe(1);
  expect([...database.calls.keys()].sort()).toEqual(['connect', 'readHistory']);
  expect(database.calls.get('readHistory')).toBe(1);
  expect(database.history).toEqual([]);
  expect(database.data.size).toBe(0);
}

const ok = (id: string, order = '001', extra: Record<string, unknown> = {}) =>
  defineChangeUnit({
    id,
    order,
    author: 'dev',
    execute: async ({ kv }: { kv: { set(k: string, v: unknown): Promise<void> } }) => kv.set(id, true),
    rollback: async () => {},
    ...extra,
  });

describe('bad input is rejected before anything runs', () => {
  it('duplicate (id, author) names both sources', async () => {
    const { error, database } = await failure((b) => b.addChangeUnits(ok('same'), ok('same', '002')));
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    expect(error.message).toContain("Duplicate change unit id 'same' with author 'dev'");
    expect(error.message.match(/defineChangeUnit 'same'/g)).toHaveLength(2);
    expectUntouched(database);
  });

  it('duplicate ids from two files name both files', async () => {
    const { error, database } = await failure((b) => b.addMigrationScanPath('test/fixtures/duplicates'));
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    expect(error.message).toMatch(/first\.mjs.*second\.mjs/s);
    expectOnlyRead(database);
  });

  it('the same id with another author is a different unit', async () => {
    const database = new MemoryDatabase();
    const result = await new MongockBuilder()
      .setDriver(memoryDriver({ database }))
      .setLogger(silentLogger)
      .addChangeUnits(ok('same'), ok('same', '002', { author: 'other' }))
      .buildRunner()
      .execute();
    expect(result.executed).toBe(2);
  });

  it('missing id and order', async () => {
    const { error, database } = await failure((b) => b.addChangeUnits(defineChangeUnit({ execute() {}, rollback() {} } as never)));
    expect(error.problems.some((p) => p.includes('has no id'))).toBe(true);
    expect(error.problems.some((p) => p.includes('has no order'))).toBe(true);
    expectUntouched(database);
  });

  it('a ChangeUnit without exactly one @Execution and one @RollbackExecution', async () => {
    @ChangeUnit({ id: 'no-rollback', order: '001' })
    class NoRollback {
      @Execution() run() {}
    }
    @ChangeUnit({ id: 'two-executions', order: '002' })
    class TwoExecutions {
      @Execution() a() {}
      @Execution() b() {}
      @RollbackExecution() r() {}
    }
    const { error, database } = await failure((b) => b.addChangeUnits(NoRollback, TwoExecutions));
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    expect(error.message).toContain("@ChangeUnit 'no-rollback' (class NoRollback) has no @RollbackExecution method");
    expect(error.message).toContain("@ChangeUnit 'two-executions' (class TwoExecutions) has 2 @Execution methods (a, b)");
    expectUntouched(database);
  });

  it('@BeforeExecution without its rollback, and a rollback-before without a before', async () => {
    const { BeforeExecution } = await import('../../src/index.ts');
    @ChangeUnit({ id: 'before-only', order: '001' })
    class BeforeOnly {
      @BeforeExecution() before() {}
      @Execution() run() {}
      @RollbackExecution() rollback() {}
    }
    @ChangeUnit({ id: 'rollback-before-only', order: '002' })
    class RollbackBeforeOnly {
      @Execution() run() {}
      @RollbackExecution() rollback() {}
      @RollbackBeforeExecution() undoBefore() {}
    }
    const { error, database } = await failure((b) => b.addChangeUnits(BeforeOnly, RollbackBeforeOnly));
    expect(error.message).toContain("'before-only' (class BeforeOnly) has no @RollbackBeforeExecution method");
    expect(error.message).toContain("'rollback-before-only' (class RollbackBeforeOnly) has @RollbackBeforeExecution without @BeforeExecution");
    expectUntouched(database);
  });

  it('invalid system versions (not strings: Maven reads every string), on a unit and in the options', async () => {
    const { error, database } = await failure((b) => b.addChangeUnits(ok('v', '001', { systemVersion: 2.5 as never })));
    expect(error.message).toContain("'systemVersion' must be a string");
    expectUntouched(database);
    const builder = new MongockBuilder()
      .setDriver(memoryDriver())
      .addChangeUnits(ok('a'))
      .setStartSystemVersion(1 as never);
    expect(() => builder.buildRunner()).toThrow(/Option 'startSystemVersion' must be a version string/);
    // Any string is a Maven version: 'banana' is accepted, as Java Mongock accepts it.
    expect(() => new MongockBuilder().setDriver(memoryDriver()).addChangeUnits(ok('a')).setStartSystemVersion('banana').buildRunner()).not.toThrow();
  });

  it('unknown options and wrong types, all at once, naming each option', () => {
    const build = () =>
      new MongockBuilder()
        .setConfig({
          driver: memoryDriver(),
          changeUnits: [ok('a')],
          trackIgnored: 'yes',
          lockConfig: { acquiredForMs: 10 },
          transactionStrategy: 'whole',
          colour: 'blue',
        } as never)
        .buildRunner();
    expect(build).toThrow(MongockErrorLike('INVALID_CONFIG'));
    try {
      build();
    } catch (error) {
      const e = error as MongockError;
      expect(e.problems).toHaveLength(4);
      expect(e.message).toContain("Option 'trackIgnored' must be true or false; got 'yes'");
      expect(e.message).toContain("Option 'lockConfig.acquiredForMs' must be a whole number of milliseconds from 3000 to 2147483647");
      expect(e.message).toContain("Option 'transactionStrategy' must be one of 'changeUnit', 'execution'");
      expect(e.message).toContain("Unknown option 'colour'");
    }
  });

  it('an unknown option close to a known one is named with the one meant, at every level', () => {
    const build = () =>
      new MongockBuilder()
        .setConfig({
          driver: memoryDriver(),
          changeUnits: [ok('a')],
          trackIgnore: true,
          lockConfig: { acquireForMs: 5_000 },
          legacyMigration: { origin: 'dbchangelog', mapping: { changeid: 'id' } },
        } as never)
        .buildRunner();
    expect(build).toThrow(MongockErrorLike('INVALID_CONFIG'));
    expect(build).toThrow("Unknown option 'trackIgnore'. Did you mean 'trackIgnored'?");
    expect(build).toThrow("Unknown option 'lockConfig.acquireForMs'. Did you mean 'lockConfig.acquiredForMs'?");
    expect(build).toThrow("Unknown option 'legacyMigration.mapping.changeid'. Did you mean 'legacyMigration.mapping.changeId'?");
  });

  it('sqliteDriver names an unknown option and the one meant', () => {
    expect(() => sqliteDriver({ filenme: 'app.db' } as never)).toThrow(MongockErrorLike('INVALID_CONFIG'));
    expect(() => sqliteDriver({ filenme: 'app.db' } as never)).toThrow("sqliteDriver: Unknown option 'filenme'. Did you mean 'filename'?");
    expect(() => sqliteDriver({ filename: 'app.db', busyTimeout: 10 } as never)).toThrow("Unknown option 'busyTimeout'. Did you mean 'busyTimeoutMs'?");
  });

  it.each([
    [
      'sqliteDriver',
      () => sqliteDriver({ filename: 'app.db', busyTimeotMs: 10 } as never),
      "sqliteDriver: Unknown option 'busyTimeotMs'. Did you mean 'busyTimeoutMs'?",
    ],
    [
      'postgresDriver',
      () => postgresDriver({ connectionString: 'postgres://h/db', shema: 'app' } as never),
      "postgresDriver: Unknown option 'shema'. Did you mean 'schema'?",
    ],
    ['mysqlDriver', () => mysqlDriver({ url: 'mysql://h/db' } as never), "mysqlDriver: Unknown option 'url'. Did you mean 'uri'?"],
    [
      'mongoDriver',
      () => mongoDriver({ uri: 'mongodb://h/db', databaseNme: 'app' } as never),
      "mongoDriver: Unknown option 'databaseNme'. Did you mean 'databaseName'?",
    ],
  ])('%s names an unknown option and the one meant (one shared check, per-driver specs)', (_name, build, message) => {
    expect(build).toThrow(MongockErrorLike('INVALID_CONFIG'));
    expect(build).toThrow(message);
  });

  it.each([
    ['sqliteDriver', () => sqliteDriver({ filename: 'app.db', busyTimeoutMs: -1 }), 'sqliteDriver: busyTimeoutMs must be whole milliseconds'],
    [
      'postgresDriver',
      () => postgresDriver({ connectionString: 'postgres://h/db', lockTimeoutMs: 1.5 }),
      'postgresDriver: lockTimeoutMs must be whole milliseconds',
    ],
    ['mysqlDriver', () => mysqlDriver({ uri: 'mysql://h/db', statementTimeoutMs: 2 ** 31 }), 'mysqlDriver: statementTimeoutMs must be whole milliseconds'],
    [
      'postgresDriver',
      () => postgresDriver({ pool: {} as never, statementTimeoutMs: 10 }),
      'postgresDriver: statementTimeoutMs applies to the connection Mongock opens',
    ],
    ['mysqlDriver', () => mysqlDriver({ pool: {} as never, lockWaitTimeoutMs: 10 }), 'mysqlDriver: lockWaitTimeoutMs applies to the connection Mongock opens'],
    ['postgresDriver', () => postgresDriver({ connectionString: '' }), 'postgresDriver: connectionString must be a non-empty string'],
    ['mysqlDriver', () => mysqlDriver({ uri: '' }), 'mysqlDriver({ uri }) needs a non-empty connection string'],
    ['sqliteDriver', () => sqliteDriver({}), 'sqliteDriver needs exactly one of'],
    ['mongoDriver', () => mongoDriver({ databaseName: 'app' }), 'mongoDriver needs exactly one of'],
  ])('%s refuses bad timings, sources and strings before connecting: %s', (_name, build, message) => {
    expect(build).toThrow(MongockErrorLike('INVALID_CONFIG'));
    expect(build).toThrow(message);
  });

  it('no driver', () => {
    expect(() => new MongockBuilder().addChangeUnits(ok('a')).buildRunner()).toThrow(/Option 'driver' is required/);
  });

  it('no change units at all', () => {
    expect(() => new MongockBuilder().setDriver(memoryDriver()).buildRunner()).toThrow(/No change units: set 'migrationScanPath'/);
  });

  it('transactional: true on a driver without transactions', () => {
    const build = () =>
      new MongockBuilder()
        .setDriver(memoryDriver({ transactions: false }))
        .addChangeUnits(ok('a'))
        .setTransactional(true)
        .buildRunner();
    expect(build).toThrow(/Option 'transactional' is true, but the memory driver cannot run transactions/);
  });

  it('a module that fails to import names the file and keeps the cause', async () => {
    const { error, database } = await failure((b) => b.addMigrationScanPath('test/fixtures/broken'));
    expect(error.code).toBe('MODULE_LOAD_FAILED');
    expect(error.file).toMatch(/test\/fixtures\/broken\/throws\.mjs$/);
    expect(error.message).toContain('throws.mjs');
    expect((error.cause as Error).message).toBe('this module is broken on purpose');
    expectOnlyRead(database);
  });

  it('a scan path that does not exist', async () => {
    const { error, database } = await failure((b) => b.addMigrationScanPath('test/fixtures/nope'));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain("Migration scan path 'test/fixtures/nope'");
    expectUntouched(database);
  });

  it('an exported class that is not a change unit, and a ChangeSet without author', async () => {
    class Plain {}
    @ChangeLog({ order: '001' })
    class Legacy {
      @ChangeSet({ id: 'x', order: '001' } as never) change() {}
    }
    const { error, database } = await failure((b) => b.addChangeUnits(Plain as never, Legacy));
    expect(error.message).toContain('class Plain is not a change unit');
    expect(error.message).toContain("@ChangeSet 'x' (Legacy.change) has no author");
    expectUntouched(database);
  });

  it('options objects are never mutated', () => {
    const config = Object.freeze({ driver: memoryDriver(), changeUnits: Object.freeze([ok('a')]), lockConfig: Object.freeze({ acquiredForMs: 5000 }) });
    const runner = new MongockBuilder().setConfig(config).setTrackIgnored(true).buildRunner();
    expect(runner).toBeDefined();
    expect(config).toEqual({ driver: config.driver, changeUnits: config.changeUnits, lockConfig: { acquiredForMs: 5000 } });
  });
});

function MongockErrorLike(code: string) {
  return expect.objectContaining({ code });
}
