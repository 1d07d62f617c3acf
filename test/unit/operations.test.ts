import { describe, expect, it } from 'vitest';
import { type MemoryChangeContext, MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import {
  AfterExecution,
  ChangeUnit,
  DOCTOR_CHECKS,
  type DoctorCheck,
  defineChangeUnit,
  Execution,
  MongockBuilder,
  type MongockError,
  RollbackAfterExecution,
  RollbackExecution,
  silentLogger,
} from '../../src/index.ts';

function builder(database: MemoryDatabase, transactions = true) {
  return new MongockBuilder().setDriver(memoryDriver({ database, transactions })).setLogger(silentLogger).setLockQuickConfig();
}

describe('@AfterExecution and after/rollbackAfter', () => {
  it('a decorated after-step runs after the execution committed, outside its transaction, as <id>_after', async () => {
    const database = new MemoryDatabase();
    const seen: unknown[] = [];
    @ChangeUnit({ id: 'copy-then-drop', order: '1', author: 'dev', recovery: 'retry' })
    class CopyThenDrop {
      @Execution() async copy({ kv }: MemoryChangeContext) {
        await kv.set('copy', true);
      }
      @RollbackExecution() async uncopy({ kv }: MemoryChangeContext) {
        await kv.delete('copy');
      }
      @AfterExecution() async drop() {
        // The execution's transaction has committed: its write is in the database itself.
        seen.push(database.data.get('copy'));
      }
      @RollbackAfterExecution() async undrop() {}
    }
    const result = await builder(database).addChangeUnits(CopyThenDrop).buildRunner().execute();
    expect(result.items.map((i) => [i.changeId, i.outcome])).toEqual([
      ['copy-then-drop', 'executed'],
      ['copy-then-drop_after', 'executed'],
    ]);
    expect(seen).toEqual([true]);
    expect(database.history.map((e) => [e.changeId, e.type, e.state, e.changeSetMethod])).toEqual([
      ['copy-then-drop', 'EXECUTION', 'EXECUTED', 'copy'],
      ['copy-then-drop_after', 'EXECUTION', 'EXECUTED', 'drop'],
    ]);
  });

  it("transactionStrategy 'execution': after-steps run once the whole transaction committed", async () => {
    const database = new MemoryDatabase();
    const order: string[] = [];
    const unit = (id: string) =>
      defineChangeUnit<MemoryChangeContext>({
        id,
        order: id,
        author: 'dev',
        async execute({ kv }) {
          order.push(`execute ${id}`);
          await kv.set(id, true);
        },
        rollback: () => {},
        after() {
          order.push(`after ${id} sees ${['1', '2'].filter((key) => database.data.get(key) === true).join(',')}`);
        },
        rollbackAfter: () => {},
      });
    await builder(database).addChangeUnits(unit('1'), unit('2')).setTransactionStrategy('execution').buildRunner().execute();
    expect(order).toEqual(['execute 1', 'execute 2', 'after 1 sees 1,2', 'after 2 sees 1,2']);
  });

  it('rejects an after-step without its rollback, a stray rollback, and an unknown recovery, before anything runs', async () => {
    @ChangeUnit({ id: 'no-undo', order: '1', author: 'dev', recovery: 'sometimes' as never })
    class NoUndo {
      @Execution() run() {}
      @RollbackExecution() back() {}
      @AfterExecution() after() {}
    }
    const stray = defineChangeUnit({ id: 'stray', order: '2', author: 'dev', execute() {}, rollback() {}, rollbackAfter() {} });
    const error = (await builder(new MemoryDatabase())
      .addChangeUnits(NoUndo, stray)
      .buildRunner()
      .execute()
      .catch((e: unknown) => e)) as MongockError;
    expect(error.code).toBe('INVALID_CHANGE_UNIT');
    expect(error.problems).toEqual([
      "@ChangeUnit 'no-undo' (class NoUndo) has no @RollbackAfterExecution method; exactly one is required.",
      "@ChangeUnit 'no-undo' (class NoUndo): 'recovery' must be one of 'rollback-and-retry', 'retry', 'manual'; got \"sometimes\".",
      "change unit 'stray' (defineChangeUnit) has rollbackAfter() without after().",
    ]);
  });

  it('a unit whose id is another unit’s after-step id is refused', async () => {
    const a = defineChangeUnit({ id: 'a', order: '1', author: 'dev', execute() {}, rollback() {}, after() {}, rollbackAfter() {} });
    const clash = defineChangeUnit({ id: 'a_after', order: '2', author: 'dev', execute() {}, rollback() {} });
    await expect(builder(new MemoryDatabase()).addChangeUnits(a, clash).buildRunner().execute()).rejects.toThrow(/has the id of the after-step/);
  });
});

describe('doctor is a list of named checks', () => {
  it('built-in checks have unique names; an extra check passed to diagnose() runs after them and a failing one becomes a finding', async () => {
    const names = DOCTOR_CHECKS.map((check) => check.name);
    expect(new Set(names).size).toBe(names.length);
    const database = new MemoryDatabase();
    const unit = defineChangeUnit({ id: 'x', order: '1', author: 'dev', execute() {}, rollback() {} });
    const extra: DoctorCheck = {
      name: 'tenants',
      description: 'a later capability',
      run: (input) => [{ check: 'tenants', severity: 'info', message: `${input.units.length} unit(s) seen`, fix: [] }],
    };
    const broken: DoctorCheck = {
      name: 'broken',
      description: 'throws',
      run: () => {
        throw new Error('oops');
      },
    };
    const diagnosis = await builder(database).addChangeUnits(unit).buildRunner().diagnose([extra, broken]);
    expect(diagnosis.checks).toEqual([...names, 'tenants', 'broken']);
    expect(diagnosis.findings).toEqual([
      { check: 'tenants', severity: 'info', message: '1 unit(s) seen', fix: [] },
      { check: 'broken', severity: 'warning', message: 'The check itself failed: oops', fix: [] },
    ]);
    expect(diagnosis.blocking).toBe(false);
  });

  it("reports checksum drift as blocking only under onChecksumMismatch: 'fail'", async () => {
    const database = new MemoryDatabase();
    const v1 = defineChangeUnit({ id: 'drift', order: '1', author: 'dev', execute: () => 1, rollback() {} });
    const v2 = defineChangeUnit({ id: 'drift', order: '1', author: 'dev', execute: () => 2, rollback() {} });
    await builder(database).addChangeUnits(v1).buildRunner().execute();
    const warn = await builder(database).addChangeUnits(v2).buildRunner().diagnose();
    expect(warn.findings.map((f) => [f.check, f.severity])).toEqual([['checksum-drift', 'warning']]);
    expect(warn.findings[0]!.fix).toContain('or, if the change is intended: mongock validate --accept drift');
    const fail = await builder(database).addChangeUnits(v2).setOnChecksumMismatch('fail').buildRunner().diagnose();
    expect(fail.blocking).toBe(true);
  });
});
