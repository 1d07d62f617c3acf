import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startScript, waitForOutput } from '../support/processes.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';

const SCRIPT = 'test/e2e/processes/sqlite-runner.ts';
const UNITS = ['u1', 'u2', 'u3', 'u4', 'u5'];

describe('SQLite with real OS processes', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  function countMarkers(filename: string): Record<string, number> {
    const db = new Database(filename, { readonly: true });
    try {
      const rows = db.prepare('SELECT name, COUNT(*) AS n FROM markers GROUP BY name').all() as { name: string; n: number }[];
      return Object.fromEntries(rows.map((row) => [row.name, row.n]));
    } finally {
      db.close();
    }
  }

  it('8 processes started at once on one file apply each unit exactly once', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    // A lease of 20 s, not 3 s: nobody dies here, and on a loaded 2-core machine a live holder
    // left unscheduled past 3 s stopped with LOCK_LOST (3 runs in 5 at load 31-46).
    const children = Array.from({ length: 8 }, () => startScript(SCRIPT, [file.filename, 'lease=20000']));
    const results = await Promise.all(children.map((child) => child.finished));
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });
    // Side-effect counter: each unit wrote its 50 rows once, whatever the history says.
    expect(countMarkers(file.filename)).toEqual(Object.fromEntries(UNITS.map((id) => [id, 50])));
    const applied = results.flatMap((result) => JSON.parse(result.stdout.trim().split('\n').pop()!).executed as string[]);
    expect(applied.sort()).toEqual(UNITS);
    const db = new Database(file.filename, { readonly: true });
    const entries = db.prepare("SELECT change_id FROM mongockChangeLog WHERE state = 'EXECUTED' ORDER BY change_id").all();
    db.close();
    expect(entries.map((row) => (row as { change_id: string }).change_id)).toEqual(UNITS);
  }, 120_000);

  it('SIGKILL in the middle of a unit, then a rerun completes with no partial writes', async () => {
    const file = tempSqliteFile();
    cleanup = file.cleanup;
    const victim = startScript(SCRIPT, [file.filename, 'hang-in=u3']);
    await waitForOutput(victim, 'MIDWAY');
    victim.kill('SIGKILL');
    const killed = await victim.finished;
    expect(killed.signal).toBe('SIGKILL');
    // u1 and u2 committed; u3 had written 26 rows in its open transaction: none may survive.
    expect(countMarkers(file.filename)).toEqual({ u1: 50, u2: 50 });

    const started = Date.now();
    const rerun = await startScript(SCRIPT, [file.filename]).finished;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout.trim()).executed).toEqual(['u3', 'u4', 'u5']);
    // The dead holder's lease (3 s) had to run out first; the rerun waited rather than failing.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(countMarkers(file.filename)).toEqual(Object.fromEntries(UNITS.map((id) => [id, 50])));
  }, 120_000);
});
