import { afterEach, describe, expect, it } from 'vitest';
import { postgresDriver } from '../../src/drivers/postgres/index.ts';
import { sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { type Driver, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { type Items, postgresItems, sqliteItems } from '../batches/support.ts';
import type { BackgroundAppSpec } from './processes/background-app.ts';
import { startListeningApp } from './support/listening-app.ts';

// `MongockModule.forRoot({ background: true })` in a real Nest HTTP application, its own OS
// process, on real databases: the application answers HTTP while its batched unit is still
// running (judged by the checkpoint the answer reports), a SIGTERM mid-way (Nest's shutdown hooks)
// stops the unit at a batch boundary with its checkpoint saved and no lock left, and the next start
// resumes: every row's marker ends at exactly 1. Nothing is timed: the batch the stop falls on is
// held until the module's migration is `stopping` (background-app.ts's gate).

const APP = 'test/nestjs/processes/background-app.ts';
const TOTAL = 1_000;
const SIZE = 100;

type Kind = BackgroundAppSpec['driver'];

interface Progress {
  readonly state: string;
  readonly status: string | null;
  readonly units: Record<string, { state: string; batch: { inProgress: boolean; processed: number; batches: number } | null }>;
  /** With `gateAtBatch`: that batch waits at its gate. */
  readonly gated: boolean;
}

const startApp = (spec: BackgroundAppSpec) => startListeningApp(APP, spec);

async function progress(url: string): Promise<Progress> {
  const response = await fetch(`${url}/progress`);
  expect(response.status).toBe(200);
  return (await response.json()) as Progress;
}

/** Asks until `until` holds (a count of answers, not a time). */
async function ask(url: string, until: (now: Progress) => boolean, what: string): Promise<Progress> {
  for (let asked = 0; asked < 1_000; asked++) {
    const now = await progress(url);
    if (until(now)) return now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} after 1,000 answers`);
}

/** Asks until the module's migration is no longer running. */
const untilOver = (url: string) => ask(url, (now) => now.state !== 'running', 'the background migration was still running');

function driverFor(items: Items): Driver<object> {
  if (items.driver === 'sqlite') return sqliteDriver({ filename: items.target }) as Driver<object>;
  const [connectionString, schema] = items.target.split('|') as [string, string];
  return postgresDriver({ connectionString, schema }) as Driver<object>;
}

/** Who holds the lock, as `status()` sees it from outside the application (a stand-in unit: status runs nothing). */
async function lockHolder(items: Items) {
  const unit = defineChangeUnit({ id: 'create-flags', order: '001', author: 'app', execute: async () => {}, rollback: async () => {} });
  return (await new MongockBuilder().setDriver(driverFor(items)).setLogger(silentLogger).addChangeUnits(unit).buildRunner().status()).lock;
}

describe.each<Kind>(['sqlite', 'postgres'])('MongockModule background: true in a real Nest application (%s)', (kind) => {
  let items: Items | undefined;
  afterEach(async () => {
    await items?.drop();
    items = undefined;
  });

  it('serves while the batched unit runs; SIGTERM mid-way leaves its checkpoint and no lock; the next start resumes, every row marked once', async () => {
    items = await (kind === 'sqlite' ? sqliteItems(TOTAL) : postgresItems(TOTAL));
    const spec = { driver: kind, target: items.target };
    const first = startApp({ ...spec, gateAtBatch: 3 });
    const url = await first.listening;
    const served = await progress(url);
    // Answered before the unit finished: its checkpoint is part-way, the plain unit before it applied, the one after it not yet.
    expect(served.state).toBe('running');
    expect(served.units['create-flags']!.state).toBe('executed');
    expect(served.units['flag-done']!.state).toBe('pending');
    const batch = served.units['mark-items']!.batch!;
    expect(batch.inProgress).toBe(true);
    expect([SIZE, 2 * SIZE]).toContain(batch.processed);

    // Only once the third batch waits at its gate: a SIGTERM during batch 1 or 2 would stop there.
    await ask(url, (now) => now.gated, 'the third batch had not reached its gate');
    first.child.kill('SIGTERM');
    const exited = await first.child.finished;
    expect(exited.code === 0 || exited.signal === 'SIGTERM', `${exited.code} ${exited.signal}\n${exited.stdout}${exited.stderr}`).toBe(true);
    // The stop fell on the gated third batch's boundary: it committed, with its checkpoint, and nothing after it ran.
    expect(await items.checkpoint()).toMatchObject({ processed: 3 * SIZE, batches: 3, state: 'running' });
    expect(await items.markers()).toEqual({ 0: TOTAL - 3 * SIZE, 1: 3 * SIZE });
    expect(await items.executedEntries()).toBe(0);
    expect(await lockHolder(items)).toBeNull();
    expect(exited.stdout).toMatch(/\[Mongock\] Batched change 'mark-items' by 'app' was stopped \(executeInBackground\(\)\.stop\(\)\) with work left/);

    const second = startApp(spec);
    const over = await untilOver(await second.listening);
    expect(over).toMatchObject({ state: 'finished', status: 'completed' });
    expect(over.units['flag-done']!.state).toBe('executed');
    expect(over.units['mark-items']!.batch).toMatchObject({ inProgress: false, processed: TOTAL });
    expect(await items.markers()).toEqual({ 1: TOTAL });
    expect(await items.executedEntries()).toBe(1);
    second.child.kill('SIGTERM');
    await second.child.finished;
    expect(await lockHolder(items)).toBeNull();
  });

  it("a batch failing after the application serves: logged through Nest's logger, MongockMigration failed, the lock released, the app still serving", async () => {
    items = await (kind === 'sqlite' ? sqliteItems(TOTAL) : postgresItems(TOTAL));
    const app = startApp({ driver: kind, target: items.target, failAtBatch: 2 });
    const over = await untilOver(await app.listening);
    expect(over.state).toBe('failed');
    expect(over.units['mark-items']!.batch).toMatchObject({ inProgress: true, processed: SIZE });
    expect(await items.markers()).toEqual({ 0: TOTAL - SIZE, 1: SIZE });
    expect(await lockHolder(items)).toBeNull();
    app.child.kill('SIGTERM');
    const exited = await app.child.finished;
    expect(`${exited.stdout}${exited.stderr}`).toMatch(/ERROR \[Mongock\] Background migration failed: .*batch 2 refused/);
  });
});
