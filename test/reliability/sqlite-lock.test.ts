import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempSqliteFile } from '../support/sqlite-harness.ts';
import { firstStartMs, fiveUnits, lastJson, lockWaits, runWorker, startWorker, waitForOutput } from './support.ts';

// Issue 18 on SQLite, with real OS processes sharing one file: a lease renewed inside a long
// transaction reads as live (point 1), a dead holder on this host is taken over at once while a
// live one is not, even under a reused pid (point 11), waiting is bounded by the budget and names
// the holder (point 4), and a corrupt marker is reported and cleared by `unlock --force` (point 8).

function effects(filename: string): Record<string, number> {
  const db = new Database(filename, { readonly: true });
  try {
    const rows = db.prepare('SELECT unit, COUNT(*) AS n FROM effects GROUP BY unit').all() as { unit: string; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.unit, row.n]));
  } finally {
    db.close();
  }
}

function ownStartTicks(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('SQLite lock under hostile conditions (real processes)', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('a lease renewed inside a long transaction (3 s lease) reads as live: status says so, a plain unlock leaves it, nothing runs twice', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    // The holder's first unit stays in its transaction until the test opens the gate: a fixed 9 s
    // was not enough when starting the status and unlock processes took longer at load 13.
    const gate = `${file.filename}.gate`;
    const units = [{ id: 'long-tx', sleepMs: 3_500, untilFile: gate }, { id: 'plain', transactional: false, rows: 20, sleepMs: 1_000 }, { id: 'last' }];
    const holder = startWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units, lease: 3_000 });
    await waitForOutput(holder, 'STARTED long-tx');
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // past the 3 s lease, inside the transaction

    // Both at once, while the holder is still inside its transaction (it waits for the gate).
    const [statusRun, unlockRun] = await Promise.all([
      runWorker({ driver: 'sqlite', target: file.filename, action: 'status', units }),
      runWorker({ driver: 'sqlite', target: file.filename, action: 'unlock', units }),
    ]);
    // A second runner meanwhile must wait, not apply the next units beside the first.
    const rival = startWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units, lease: 3_000 });
    await waitForOutput(rival, 'WAITING');
    writeFileSync(gate, '');
    expect((lastJson(statusRun.stdout).lock as { expired: boolean }).expired).toBe(false);
    expect(lastJson(unlockRun.stdout).released).toBe(false);

    const done = await holder.finished;
    expect(lastJson(done.stdout)).toMatchObject({ status: 'completed', executed: ['long-tx', 'plain', 'last'] });
    const other = lastJson((await rival.finished).stdout);
    expect(other.executed ?? []).toEqual([]);
    expect(effects(file.filename)).toEqual({ 'long-tx': 10, plain: 20, last: 10 });
  }, 90_000);

  it("SIGKILL of the holder (60 s lease): the rerun on this host takes over at its first attempt (it never waits for the dead holder's lease)", async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    const units = [{ id: 'u1' }, { id: 'u2', transactional: false, hang: true }, { id: 'u3' }];
    const victim = startWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units, lease: 60_000 });
    await waitForOutput(victim, 'MIDWAY u2');
    victim.kill('SIGKILL');
    const killed = await victim.finished;
    // The same start-up on an empty database, in the killed process: what this machine needs anyway.
    const baseline = firstStartMs(killed.stdout);

    const rerun = await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units: units.map(({ id }) => ({ id })), lease: 60_000 });
    expect(lastJson(rerun.stdout), rerun.stderr).toMatchObject({ status: 'completed' });
    const waited = firstStartMs(rerun.stdout);
    console.log(`sqlite: rerun after SIGKILL started applying ${waited} ms after execute() (a first run here: ${baseline} ms)`);
    // Not the dead holder's 60 s lease: the lock is taken at the first attempt (a count; comparing
    // the two processes' start-up times failed at load 30+).
    expect(lockWaits(rerun.stdout), rerun.stdout).toBe(0);
    // u2 ran outside a transaction: rolled back (its 5 rows deleted) and applied again, exactly once.
    expect(effects(file.filename)).toEqual({ u1: 10, u2: 10, u3: 10 });
  }, 60_000);

  it('a live holder is never taken over early, even when a dead one reused its pid number', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    // Make the lock table, then write holders by hand: this very test process (alive), and the
    // same pid with another start time (a dead holder whose pid was reused).
    expect((await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units: [{ id: 'seed' }] })).code).toBe(0);
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const { readlinkSync } = await import('node:fs');
    const identity = { pid: process.pid, bootId, pidNamespace: readlinkSync('/proc/self/ns/pid'), startTicks: ownStartTicks(process.pid) };
    const setHolder = (startTicks: string) => {
      const db = new Database(file.filename);
      db.prepare(
        "UPDATE mongockLock SET owner = 'someone', hostname = 'here', acquired_at = 0, expires_at = CAST(unixepoch('subsec') * 1000 AS INTEGER) + 60000, holder_process = ?",
      ).run(JSON.stringify({ ...identity, startTicks }));
      db.close();
    };
    const units = [{ id: 'seed' }, { id: 'next' }];

    setHolder(identity.startTicks);
    const blocked = await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units, quit: 1_000 });
    expect(lastJson(blocked.stdout)).toMatchObject({ error: 'LOCK_NOT_ACQUIRED' });
    expect(lastJson(blocked.stdout).message).toContain('held by someone on here');
    // The counter the takeover tests rely on does count: this run found the lock held and waited.
    expect(lockWaits(blocked.stdout)).toBeGreaterThan(0);

    setHolder(String(Number(identity.startTicks) + 1));
    const takeover = await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units, quit: 1_000 });
    expect(lastJson(takeover.stdout)).toMatchObject({ status: 'completed', executed: ['next'] });
  }, 60_000);

  it('a waiter gives up within its 1 s budget while the holder keeps the write lock, and names the holder', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    const units = [{ id: 'long-tx', sleepMs: 6_000 }];
    const holder = startWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units, lease: 3_000 });
    await waitForOutput(holder, 'STARTED long-tx');
    const waiter = await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units, quit: 1_000 });
    const result = lastJson(waiter.stdout);
    expect(result.error).toBe('LOCK_NOT_ACQUIRED');
    expect(result.message).toMatch(/held by [0-9a-f-]{36} on /);
    // The budget is 1 s; one attempt used to block in SQLite's 5 s busy wait, so the bound sits
    // below 5 s with room for a loaded machine (2 s was the bound before; it measures the
    // worker's own execute(), not its process start).
    console.log(`sqlite: a waiter with a 1 s budget gave up after ${String(result.elapsedMs)} ms`);
    expect(result.elapsedMs).toBeLessThan(4_000);
    await holder.finished;
  }, 60_000);

  it('a corrupt in-progress marker: status shows it, migrate refuses with CORRUPT_RECORD, unlock --force clears it', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    const units = fiveUnits();
    expect((await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units: units.slice(0, 2) })).code).toBe(0);
    const db = new Database(file.filename);
    db.prepare("UPDATE mongockLock SET in_progress = 'not json {'").run();
    db.close();

    const status = lastJson((await runWorker({ driver: 'sqlite', target: file.filename, action: 'status', units })).stdout);
    expect((status.lock as { problem: string }).problem).toMatch(/not JSON.*unlock --force/);
    const refused = lastJson((await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units })).stdout);
    expect(refused).toMatchObject({ error: 'CORRUPT_RECORD' });
    expect(refused.message).toContain("'mongockLock'");
    expect(effects(file.filename)).toEqual({ u1: 10, u2: 10 });
    const forced = lastJson((await runWorker({ driver: 'sqlite', target: file.filename, action: 'unlock-force', units })).stdout);
    expect(forced.released).toBe(true);
    const after = lastJson((await runWorker({ driver: 'sqlite', target: file.filename, action: 'migrate', units })).stdout);
    expect(after).toMatchObject({ status: 'completed', executed: ['u3', 'u4', 'u5'] });
  }, 60_000);
});
