import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongockModule } from '../../src/nestjs/index.ts';
import { type DashboardDatabaseFixture, sqliteFixture } from './support/dashboard-fixture.ts';

// MongockModule's `dashboard: { path }` on a real Nest application (Express adapter) listening on
// loopback: the page, API and assets under the path, Nest's own routing untouched elsewhere.

const TOKEN = 'nest-token-0123456789abcdef';

describe('MongockModule with dashboard: { path }', () => {
  let fixture: DashboardDatabaseFixture;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    fixture = await sqliteFixture();
    const root = {
      module: class DashboardTestModule {},
      imports: [MongockModule.forRoot({ ...fixture.config, runOnStartup: false, dashboard: { path: '/ops/mongock', token: TOKEN } })],
    };
    app = await NestFactory.create(root, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}`.replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await fixture?.teardown();
  });

  it('serves the page, its assets and the API under the path, with the token', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const page = await fetch(`${base}/ops/mongock/`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<base href="/ops/mongock/">');
    const bare = await fetch(`${base}/ops/mongock`, { headers: auth });
    expect(await bare.text()).toContain('<base href="/ops/mongock/">');
    expect((await fetch(`${base}/ops/mongock/assets/dashboard.js`)).status).toBe(200);
    expect((await fetch(`${base}/ops/mongock/api/overview`)).status).toBe(401);
    const overview = (await (await fetch(`${base}/ops/mongock/api/overview`, { headers: auth })).json()) as {
      databases: Array<{ name: string; state: string }>;
    };
    expect(overview.databases).toEqual([expect.objectContaining({ name: 'sqlite', state: 'pending' })]);
    const opened = await fetch(`${base}/ops/mongock/?token=${TOKEN}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/ops/mongock/');
    expect(opened.headers.get('set-cookie')).toContain('Path=/ops/mongock/');
  });

  it('leaves every other path to Nest (its own 404)', async () => {
    const other = await fetch(`${base}/ops/other`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ statusCode: 404 });
    expect(other.headers.get('content-security-policy')).toBeNull();
  });
});
