import middie from '@fastify/middie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardHandler } from '../../src/dashboard/index.ts';
import { createRunner } from '../../src/index.ts';
import { type DashboardDatabaseFixture, runWithAFailure, sqliteFixture } from './support/dashboard-fixture.ts';

// createDashboardHandler mounted in a real Fastify application through @fastify/middie, as
// docs/dashboard.md shows it: the page, assets, API and an action under the prefix, Fastify's own
// routes untouched.

const TOKEN = 'fastify-token-0123456789abcdef';

describe('the dashboard in Fastify (@fastify/middie)', () => {
  let fixture: DashboardDatabaseFixture;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    fixture = await sqliteFixture();
    await runWithAFailure(fixture.config);
    app = Fastify();
    await app.register(middie);
    app.use('/ops/mongock', createDashboardHandler(fixture.config, { path: '/ops/mongock', name: 'app', token: TOKEN, allowActions: true, cacheMs: 0 }));
    app.get('/health', async () => ({ ok: true }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await fixture?.teardown();
  });

  it('serves the page with its base, the assets and the API under the prefix, behind the token', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const page = await fetch(`${base}/ops/mongock/`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<base href="/ops/mongock/">');
    expect((await fetch(`${base}/ops/mongock/assets/dashboard.js`)).status).toBe(200);
    expect((await fetch(`${base}/ops/mongock/api/overview`)).status).toBe(401);
    const overview = (await (await fetch(`${base}/ops/mongock/api/overview`, { headers: auth })).json()) as {
      databases: Array<{ name: string; state: string }>;
    };
    expect(overview.databases).toEqual([expect.objectContaining({ name: 'app', state: 'failed' })]);
    const opened = await fetch(`${base}/ops/mongock/?token=${TOKEN}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/ops/mongock/');
  });

  it('reads a POST action body itself (Fastify has not parsed it) and marks the unit', async () => {
    const response = await fetch(`${base}/ops/mongock/api/databases/app/mark`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ changeId: 'archive-orders', resolution: 'applied', reason: 'applied by the old tool' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ marked: [{ changeId: 'archive-orders', state: 'EXECUTED', previousState: 'pending' }] });
    const unit = (await createRunner(fixture.config).status()).units.find((u) => u.changeId === 'archive-orders')!;
    expect(unit.manual).toMatchObject({ resolution: 'applied', reason: 'applied by the old tool' });
  });

  it("leaves Fastify's own routes and 404 alone", async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true });
    const other = await fetch(`${base}/ops/other`);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-security-policy')).toBeNull();
  });
});
