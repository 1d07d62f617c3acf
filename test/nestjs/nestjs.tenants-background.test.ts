import { afterEach, describe, expect, it } from 'vitest';
import { sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';
import { type Items, sqliteItems } from '../batches/support.ts';
import type { TenantsBackgroundAppSpec } from './processes/tenants-background-app.ts';
import { startListeningApp } from './support/listening-app.ts';

// `MongockTenantsModule.forRoot({ background: true })` in a real Nest HTTP application, its own OS
// process, on three SQLite tenant files: the application answers HTTP once every tenant's
// start-up part is done (its plain unit applied, its batched unit's first batch committed), while
// the tenants' batched work goes on one tenant after the other; a SIGTERM mid-way (Nest's
// shutdown hooks) stops the tenant being worked on at a batch boundary, starts no other, and
// leaves no lock; the next start resumes every tenant: every row's marker ends at exactly 1.
// Nothing is timed: globex's third batch is held until the module's migration is `stopping`.

const APP = 'test/nestjs/processes/tenants-background-app.ts';
const TENANTS = ['acme', 'globex', 'initech'] as const;
const TOTAL = 500;
const SIZE = 100;

type Tenant = (typeof TENANTS)[number];

interface Progress {
  readonly state: string;
  readonly tenants: ReadonlyArray<{ tenant: string; state: string }>;
  /** With a gate: its batch is waiting there (the stop cannot fall before it any more). */
  readonly gated?: boolean;
}

const startApp = (spec: TenantsBackgroundAppSpec) => startListeningApp(APP, spec);

async function progress(url: string): Promise<Progress> {
  const response = await fetch(`${url}/progress`);
  expect(response.status).toBe(200);
  return (await response.json()) as Progress;
}

const stateOf = (now: Progress, tenant: Tenant) => now.tenants.find((entry) => entry.tenant === tenant)?.state;

/** Asks until `until` holds (a count of answers, not a time). */
async function ask(url: string, until: (now: Progress) => boolean): Promise<Progress> {
  for (let asked = 0; asked < 1_000; asked++) {
    const now = await progress(url);
    if (until(now)) return now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the condition did not hold after 1,000 answers');
}

/** Who holds a tenant's lock, as `status()` sees it from outside the application (a stand-in unit: status runs nothing). */
async function lockHolder(items: Items) {
  const unit = defineChangeUnit({ id: 'create-flags', order: '001', author: 'app', execute: async () => {}, rollback: async () => {} });
  return (
    await new MongockBuilder()
      .setDriver(sqliteDriver({ filename: items.target }))
      .setLogger(silentLogger)
      .addChangeUnits(unit)
      .buildRunner()
      .status()
  ).lock;
}

describe('MongockTenantsModule background: true in a real Nest application (SQLite, three tenants)', () => {
  let items: Record<Tenant, Items> | undefined;
  afterEach(async () => {
    for (const data of Object.values(items ?? {})) await data.drop();
    items = undefined;
  });

  it('serves while the tenants’ batched units run one after the other; SIGTERM stops at a batch boundary with no lock held; the next start resumes, every row marked once', async () => {
    const made = { acme: await sqliteItems(TOTAL), globex: await sqliteItems(TOTAL), initech: await sqliteItems(TOTAL) };
    items = made;
    const files = Object.fromEntries(TENANTS.map((tenant) => [tenant, made[tenant].target]));
    const first = startApp({ files, gate: { tenant: 'globex', batch: 3 } });
    const url = await first.listening;
    const served = await progress(url);
    // Answered before the batched work finished: every tenant's start-up part is done (the last
    // tenant waits for its turn, its first batch committed), and the run goes on.
    expect(served.state).toBe('running');
    expect(stateOf(served, 'initech')).toBe('waiting');
    expect(await made.initech.checkpoint()).toMatchObject({ processed: SIZE, batches: 1, state: 'running' });
    expect(await made.initech.markers()).toEqual({ 0: TOTAL - SIZE, 1: SIZE });
    expect(await made.initech.executedEntries()).toBe(0);

    // One tenant after the other: globex runs (held at its third batch) only once acme is finished.
    // Waiting for `running` alone raced: a SIGTERM during globex's second batch stopped it there.
    const midway = await ask(url, (now) => now.gated === true);
    expect(stateOf(midway, 'globex')).toBe('running');
    expect(stateOf(midway, 'acme')).toBe('finished');
    expect(stateOf(midway, 'initech')).toBe('waiting');
    first.child.kill('SIGTERM');
    const exited = await first.child.finished;
    expect(exited.code === 0 || exited.signal === 'SIGTERM', `${exited.code} ${exited.signal}\n${exited.stdout}${exited.stderr}`).toBe(true);
    expect(exited.stdout).toMatch(/Tenants in the background: 1 finished, 2 stopped with work left, 0 failed, 0 not reached, of 3\./);
    // acme finished; the stop fell on globex's gated third batch's boundary (committed with its
    // checkpoint, nothing after it); initech was not started again.
    expect(await made.acme.markers()).toEqual({ 1: TOTAL });
    expect(await made.acme.executedEntries()).toBe(1);
    expect(await made.globex.checkpoint()).toMatchObject({ processed: 3 * SIZE, batches: 3, state: 'running' });
    expect(await made.globex.markers()).toEqual({ 0: TOTAL - 3 * SIZE, 1: 3 * SIZE });
    expect(await made.initech.checkpoint()).toMatchObject({ processed: SIZE, batches: 1, state: 'running' });
    for (const tenant of TENANTS) expect(await lockHolder(made[tenant]), tenant).toBeNull();

    const second = startApp({ files });
    const over = await ask(await second.listening, (now) => now.state !== 'running');
    expect(over).toEqual({ state: 'finished', tenants: TENANTS.map((tenant) => ({ tenant, state: 'finished' })) });
    for (const tenant of TENANTS) {
      expect(await made[tenant].markers(), tenant).toEqual({ 1: TOTAL });
      expect(await made[tenant].executedEntries(), tenant).toBe(1);
      expect(await made[tenant].checkpoint(), tenant).toMatchObject({ processed: TOTAL, state: 'done' });
    }
    second.child.kill('SIGTERM');
    await second.child.finished;
    for (const tenant of TENANTS) expect(await lockHolder(made[tenant]), tenant).toBeNull();
  }, 240_000);
});
