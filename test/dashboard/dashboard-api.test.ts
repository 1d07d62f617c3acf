import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { Ajv } from 'ajv';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardAssets } from '../../src/dashboard/dashboard-assets.ts';
import { API_SCHEMAS, type ApiSchemaName, createDashboardHandler, type RunningDashboard, startDashboard } from '../../src/dashboard/index.ts';
import { postgresDriver } from '../../src/drivers/postgres/index.ts';
import { type SqliteChangeContext, sqliteDriver } from '../../src/drivers/sqlite/index.ts';
import { batched, createRunner, defineChangeUnit, silentLogger } from '../../src/index.ts';
import { tempSqliteFile } from '../support/sqlite-harness.ts';
import {
  type DashboardDatabaseFixture,
  holdLock,
  postgresFixture,
  runWithAFailure,
  SERVICE_ID,
  sqliteFixture,
  unitsWithAFailure,
} from './support/dashboard-fixture.ts';

// The JSON API, /metrics and the security rules over real HTTP, on SQLite and PostgreSQL.

const TOKEN = 'test-token-0123456789abcdef';
/** docs/dashboard.md: "under 40 KB uncompressed". */
const PAGE_WEIGHT_LIMIT = 40_000;

const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addFormat('date-time', (text: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(text) && !Number.isNaN(Date.parse(text)));
const validators = Object.fromEntries(Object.entries(API_SCHEMAS).map(([name, schema]) => [name, ajv.compile(schema)]));

function expectSchema(name: ApiSchemaName, body: unknown): void {
  const validate = validators[name]!;
  expect(validate(body), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(url, { headers, redirect: 'manual' });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

function metricValue(metrics: ReturnType<typeof parsePrometheusTextFormat>, name: string, database: string): number | undefined {
  const found = metrics.find((metric) => metric.name === name)?.metrics.find((sample) => sample.labels?.database === database);
  return found === undefined ? undefined : Number(found.value);
}

describe('the dashboard API on SQLite after a run with a failure', () => {
  let fixture: DashboardDatabaseFixture;
  let dashboard: RunningDashboard;

  beforeAll(async () => {
    fixture = await sqliteFixture();
    await runWithAFailure(fixture.config);
    // A second database that cannot be read: a PostgreSQL port nobody listens on.
    const broken = {
      driver: postgresDriver({ connectionString: 'postgres://nobody:hunter2secret@127.0.0.1:9/none', connectionTimeoutMs: 2_000 }),
      changeUnits: unitsWithAFailure('x').slice(0, 1),
      logger: silentLogger,
    };
    dashboard = await startDashboard(
      {
        databases: [
          { name: 'app', config: fixture.config },
          { name: 'broken', config: broken },
        ],
      },
      { port: 0, cacheMs: 0 },
    );
  });

  afterAll(async () => {
    await dashboard?.close();
    await fixture?.teardown();
  });

  it('every response matches its documented schema, and /api/schema serves those schemas', async () => {
    const overview = JSON.parse((await get(`${dashboard.url}api/overview`)).body);
    expectSchema('overview', overview);
    expect(overview.databases.map((db: { name: string; state: string }) => [db.name, db.state])).toEqual([
      ['app', 'failed'],
      ['broken', 'error'],
    ]);
    expect(overview.databases[0].counts).toEqual({ total: 4, executed: 2, pending: 1, failed: 1, rolledBack: 0, changed: 0 });
    const database = JSON.parse((await get(`${dashboard.url}api/databases/app`)).body);
    expectSchema('database', database);
    expect(database.units.find((unit: { changeId: string }) => unit.changeId === 'dedupe-orders').lastError.trace).toContain('duplicate keys');
    expect(database.executions).toHaveLength(1);
    expect(database.executions[0]).toMatchObject({ serviceIdentifier: SERVICE_ID, host: hostname(), outcome: 'failed', executed: 2, failed: 1 });
    expect(database.durations.map((point: { changeId: string }) => point.changeId)).toEqual(['create-clients', 'index-clients']);
    expectSchema('lock', JSON.parse((await get(`${dashboard.url}api/databases/app/lock`)).body));
    const held = await holdLock(fixture.config.driver);
    try {
      const lock = JSON.parse((await get(`${dashboard.url}api/databases/app/lock`)).body);
      expectSchema('lock', lock);
      expect(lock.lock.owner).toBe(held.owner);
      expectSchema('database', JSON.parse((await get(`${dashboard.url}api/databases/app`)).body));
    } finally {
      await held.release();
    }
    const missing = await get(`${dashboard.url}api/databases/nope`);
    expect(missing.status).toBe(404);
    expectSchema('error', JSON.parse(missing.body));
    const unreadable = await get(`${dashboard.url}api/databases/broken`);
    expect(unreadable.status).toBe(502);
    expectSchema('error', JSON.parse(unreadable.body));
    expect(JSON.parse((await get(`${dashboard.url}api/schema`)).body)).toEqual(JSON.parse(JSON.stringify(API_SCHEMAS)));
  });

  it('mounted under a path in a plain http server, it answers there with that base, and with or without the prefix stripped', async () => {
    const handler = createDashboardHandler(fixture.config, { path: '/ops/mongock', name: 'app' });
    // A second mount in the style of Express: the prefix already stripped from url, kept in originalUrl.
    const stripped = createDashboardHandler(fixture.config, { name: 'app' });
    const server = createServer((request, response) => {
      if (request.url?.startsWith('/express/')) {
        Object.assign(request, { originalUrl: request.url, url: request.url.slice('/express'.length) });
        stripped(request, response);
      } else handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const page = await get(`http://127.0.0.1:${port}/ops/mongock/`);
      expect(page.body).toContain('<base href="/ops/mongock/">');
      expect(JSON.parse((await get(`http://127.0.0.1:${port}/ops/mongock/api/overview`)).body).databases[0].name).toBe('app');
      expect((await get(`http://127.0.0.1:${port}/ops/mongock/assets/dashboard.css`)).status).toBe(200);
      expect((await get(`http://127.0.0.1:${port}/express/`)).body).toContain('<base href="/express/">');
      expect(JSON.parse((await get(`http://127.0.0.1:${port}/express/api/databases/app/lock`)).body)).toMatchObject({ database: 'app', lock: null });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a schema refuses what it does not document (the validation can fail)', () => {
    expect(validators.lock!({ generatedAt: new Date().toISOString(), database: 'app', lock: null, extra: 1 })).toBe(false);
    expect(validators.overview!({})).toBe(false);
  });

  it('/metrics parses as Prometheus text format with the counts, last run and lock held seconds', async () => {
    const first = await get(`${dashboard.url}metrics`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = parsePrometheusTextFormat(first.body);
    expect(metricValue(metrics, 'mongock_up', 'app')).toBe(1);
    expect(metricValue(metrics, 'mongock_up', 'broken')).toBe(0);
    expect(metricValue(metrics, 'mongock_units_pending', 'app')).toBe(1);
    expect(metricValue(metrics, 'mongock_units_failed', 'app')).toBe(1);
    expect(metricValue(metrics, 'mongock_units_executed', 'app')).toBe(2);
    expect(metricValue(metrics, 'mongock_last_run_duration_seconds', 'app')).toBeGreaterThan(0.05);
    expect(metricValue(metrics, 'mongock_lock_held', 'app')).toBe(0);
    expect(metricValue(metrics, 'mongock_lock_held_seconds', 'app')).toBe(0);
    expect(metrics.every((metric) => metric.type === 'GAUGE')).toBe(true);
    const held = await holdLock(fixture.config.driver);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const during = parsePrometheusTextFormat((await get(`${dashboard.url}metrics`)).body);
      expect(metricValue(during, 'mongock_lock_held', 'app')).toBe(1);
      expect(metricValue(during, 'mongock_lock_held_seconds', 'app')).toBeGreaterThanOrEqual(1);
    } finally {
      await held.release();
    }
  });

  it('is read-only: anything but GET on the API is refused with 405', async () => {
    const response = await fetch(`${dashboard.url}api/databases/app`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('is read-only on its assets too: a POST or DELETE of a script or style sheet is refused with 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(`${dashboard.url}assets/dashboard.js`, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
    expect((await fetch(`${dashboard.url}assets/dashboard.js`, { method: 'HEAD' })).status).toBe(200);
  });

  it('answers only to a loopback Host header when bound to loopback (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${dashboard.url}api/overview`, { headers: { Host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('serves every page asset itself with a strict CSP; the page weight stays small', async () => {
    const page = await get(dashboard.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]|\son[a-z]+=|style=/i);
    const sources = [...page.body.matchAll(/(?:src|href)="([^"#]+)"/g)].map((match) => match[1]);
    expect(sources.every((source) => !/^[a-z]+:|^\/\//i.test(source!))).toBe(true);
    let total = 0;
    for (const name of ['dashboard.js', 'dashboard.css', 'favicon.svg']) {
      const asset = await fetch(`${dashboard.url}assets/${name}`, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(asset.status, name).toBe(200);
      total += (await asset.arrayBuffer()).byteLength;
    }
    const weight = new DashboardAssets().weight();
    // fetch decompresses: these are the plain bytes of what the browser loads.
    expect(weight.bytes).toBe(total + (await fetch(dashboard.url).then((r) => r.arrayBuffer())).byteLength);
    expect(weight.gzipBytes).toBeLessThan(weight.bytes / 2);
    // docs/dashboard.md states the weight; this keeps it honest.
    expect(weight.bytes).toBeLessThan(PAGE_WEIGHT_LIMIT);
  });
});

describe('the dashboard API with a batched unit stopped half-way (SQLite)', () => {
  it("shows the unit's progress from its checkpoint: processed / estimated total, batches, last key, in progress; then done", async () => {
    const { filename, cleanup } = tempSqliteFile();
    const counted = defineChangeUnit<SqliteChangeContext>({
      id: 'count-up',
      order: '001',
      author: 'data',
      execute: batched<number, SqliteChangeContext>({
        source: {
          read: async (_ctx, after, size) =>
            Array.from(
              { length: Math.max(0, Math.min(size, 30 - ((after as number | undefined) ?? 0))) },
              (_, i) => ((after as number | undefined) ?? 0) + i + 1,
            ),
          keyOf: (n) => n,
          estimate: async () => 30,
        },
        size: 10,
        apply: async () => undefined,
      }),
      rollback: async () => undefined,
    });
    const config = { driver: sqliteDriver({ filename }), changeUnits: [counted], logger: silentLogger };
    const running = await startDashboard({ databases: [{ name: 'app', config }] }, { port: 0, cacheMs: 0 });
    try {
      expect((await createRunner({ ...config, maxRunMs: 1 }).execute()).status).toBe('in-progress');
      const half = JSON.parse((await get(`${running.url}api/databases/app`)).body);
      expectSchema('database', half);
      expect(half.units[0]).toMatchObject({
        state: 'pending',
        batch: { direction: 'execute', inProgress: true, batches: 1, processed: 10, estimatedTotal: 30, lastKey: '10' },
      });
      expect((await createRunner(config).execute()).status).toBe('completed');
      const done = JSON.parse((await get(`${running.url}api/databases/app`)).body);
      expectSchema('database', done);
      expect(done.units[0]).toMatchObject({ state: 'executed', batch: { inProgress: false, processed: 30, estimatedTotal: 30, lastKey: '30' } });
    } finally {
      await running.close();
      cleanup();
    }
  });
});

describe('dashboard security', () => {
  let fixture: DashboardDatabaseFixture;

  beforeAll(async () => {
    fixture = await postgresFixture();
    await runWithAFailure(fixture.config);
  });

  afterAll(async () => {
    await fixture?.teardown();
  });

  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startDashboard(fixture.config, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('without a token'),
    });
    expect(() => createDashboardHandler(fixture.config, { token: 'short' })).toThrow(/at least 16/);
    expect(() => createDashboardHandler(fixture.config, { allowActions: true })).toThrow(/need a token/);
  });

  it('a missing or wrong token gets 401 on the page, the API and /metrics; the right one passes, in a header or once in the URL', async () => {
    const dashboard = await startDashboard(fixture.config, { port: 0, token: TOKEN });
    try {
      for (const path of ['', 'api/overview', 'api/databases/postgres', 'metrics']) {
        expect((await get(`${dashboard.url}${path}`)).status, path).toBe(401);
        expect((await get(`${dashboard.url}${path}`, { Authorization: 'Bearer wrong-token-0123456789' })).status, path).toBe(401);
        expect((await get(`${dashboard.url}${path}`, { Authorization: `Bearer ${TOKEN}x` })).status, path).toBe(401);
        expect((await get(`${dashboard.url}${path}`, { Authorization: `Bearer ${TOKEN}` })).status, path).toBe(200);
      }
      expect(JSON.parse((await get(`${dashboard.url}api/overview`)).body).error.code).toBe('UNAUTHORIZED');
      expect((await get(`${dashboard.url}?token=nope`)).status).toBe(401);
      const opened = await get(`${dashboard.url}?token=${TOKEN}`);
      expect(opened.status).toBe(303);
      expect(opened.headers.get('location')).toBe('/');
      const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
      expect(cookie).not.toContain(TOKEN);
      expect(opened.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await get(`${dashboard.url}api/overview`, { Cookie: cookie })).status).toBe(200);
      expect((await get(`${dashboard.url}api/overview`, { Cookie: `${cookie}0` })).status).toBe(401);
    } finally {
      await dashboard.close();
    }
  });

  // On SQLite, whose lease lock `unlock --force` can clear while its holder lives (a PostgreSQL session lock cannot be).
  it('refuses actions without allowActions, and a cross-origin POST with them; a same-origin one clears the lock', async () => {
    const sqlite = await sqliteFixture();
    const readOnly = await startDashboard(sqlite.config, { port: 0, token: TOKEN, name: 'app' });
    const actions = await startDashboard(sqlite.config, { port: 0, token: TOKEN, allowActions: true, cacheMs: 0, name: 'app' });
    const held = await holdLock(sqlite.config.driver);
    const post = (url: string, headers: Record<string, string>) => fetch(`${url}api/databases/app/unlock`, { method: 'POST', headers, body: '{}' });
    try {
      const refused = await post(readOnly.url, { Authorization: `Bearer ${TOKEN}`, Origin: new URL(readOnly.url).origin });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ACTIONS_DISABLED');
      const cookie = (await get(`${actions.url}?token=${TOKEN}`)).headers.get('set-cookie')!.split(';')[0]!;
      const crossOrigin = await post(actions.url, { Cookie: cookie, Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' });
      expect(crossOrigin.status).toBe(403);
      expect(((await crossOrigin.json()) as { error: { code: string } }).error.code).toBe('CROSS_ORIGIN');
      expect((await post(actions.url, { Cookie: cookie })).status).toBe(403);
      expect((await post(actions.url, { Authorization: `Bearer ${TOKEN}`, Origin: 'http://evil.example' })).status).toBe(403);
      expect((await post(actions.url, { Origin: new URL(actions.url).origin })).status).toBe(401);
      // Nothing of the above touched the lock.
      expect(JSON.parse((await get(`${actions.url}api/databases/app/lock`, { Cookie: cookie })).body).lock.owner).toBe(held.owner);
      const sameOrigin = await post(actions.url, { Cookie: cookie, Origin: new URL(actions.url).origin, 'Sec-Fetch-Site': 'same-origin' });
      expect(sameOrigin.status).toBe(200);
      const result = await sameOrigin.json();
      expectSchema('unlock', result);
      expect(result).toMatchObject({ database: 'app', released: true, holder: { owner: held.owner } });
      expect(JSON.parse((await get(`${actions.url}api/databases/app/lock`, { Cookie: cookie })).body).lock).toBeNull();
    } finally {
      await held.release().catch(() => undefined);
      await readOnly.close();
      await actions.close();
      await sqlite.teardown();
    }
  });

  it('mark: refused read-only, cross-origin, with a bad body, an unknown unit or a held lock; a same-origin one writes the manual entry', async () => {
    const sqlite = await sqliteFixture();
    await runWithAFailure(sqlite.config);
    const logged: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
    const readOnly = await startDashboard(sqlite.config, { port: 0, token: TOKEN, name: 'app' });
    const actions = await startDashboard(sqlite.config, { port: 0, token: TOKEN, allowActions: true, cacheMs: 0, name: 'app', logger });
    const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    const mark = async (url: string, body: unknown, headers: Record<string, string> = auth) => {
      const response = await fetch(`${url}api/databases/app/mark`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
    };
    const applied = { changeId: 'dedupe-orders', resolution: 'applied', reason: 'deduplicated by hand' };
    const stateOf = async (changeId: string) => (await createRunner(sqlite.config).status()).units.find((unit) => unit.changeId === changeId)!;
    try {
      const overview = JSON.parse((await get(`${actions.url}api/overview`, auth)).body);
      expect(overview.actions).toEqual({ unlock: true, mark: true });
      expect(JSON.parse((await get(`${readOnly.url}api/overview`, auth)).body).actions).toEqual({ unlock: false, mark: false });
      const refused = await mark(readOnly.url, applied);
      expect([refused.status, refused.body.error?.code]).toEqual([403, 'ACTIONS_DISABLED']);
      const crossOrigin = await mark(actions.url, applied, { ...auth, Origin: 'http://evil.example' });
      expect([crossOrigin.status, crossOrigin.body.error?.code]).toEqual([403, 'CROSS_ORIGIN']);
      expect((await fetch(`${actions.url}api/databases/app/mark`, { headers: auth })).status).toBe(405);
      for (const bad of ['not json', { changeId: 'dedupe-orders', resolution: 'applied' }, { ...applied, resolution: 'done' }, { ...applied, force: true }]) {
        const answer = await mark(actions.url, bad);
        expect([answer.status, answer.body.error?.code], JSON.stringify(bad)).toEqual([400, 'BAD_REQUEST']);
        expectSchema('error', answer.body);
      }
      const unknown = await mark(actions.url, { ...applied, changeId: 'no-such-unit' });
      expect([unknown.status, unknown.body.error?.code]).toEqual([400, 'INVALID_MARK']);
      expect(unknown.body.error?.message).toContain("'no-such-unit'");
      const held = await holdLock(sqlite.config.driver);
      try {
        const locked = await mark(actions.url, applied);
        expect([locked.status, locked.body.error?.code]).toEqual([409, 'LOCKED']);
      } finally {
        await held.release();
      }
      // Nothing of the above wrote anything.
      expect((await stateOf('dedupe-orders')).state).toBe('failed');
      const done = await mark(actions.url, { ...applied, by: 'alice' });
      expect(done.status).toBe(200);
      expectSchema('mark', done.body);
      expect(done.body).toMatchObject({
        database: 'app',
        resolution: 'applied',
        reason: 'deduplicated by hand',
        marked: [{ changeId: 'dedupe-orders', state: 'EXECUTED', previousState: 'FAILED' }],
      });
      const unit = await stateOf('dedupe-orders');
      expect(unit.state).toBe('executed');
      expect(unit.manual).toMatchObject({ resolution: 'applied', reason: 'deduplicated by hand', by: expect.stringMatching(/^alice \(dashboard, /) });
      const database = JSON.parse((await get(`${actions.url}api/databases/app`, auth)).body);
      expectSchema('database', database);
      expect(database.units.find((u: { changeId: string }) => u.changeId === 'dedupe-orders').manual).toMatchObject({
        resolution: 'applied',
        by: unit.manual!.by,
      });
      const again = await mark(actions.url, applied);
      expect(again.body).toMatchObject({ marked: [], unchanged: [{ changeId: 'dedupe-orders', why: 'already executed' }] });
      const back = await mark(actions.url, { changeId: 'dedupe-orders', resolution: 'rolled-back', reason: 'undone after all' });
      expect(back.body).toMatchObject({ marked: [{ state: 'ROLLED_BACK', previousState: 'EXECUTED' }] });
      expect((await stateOf('dedupe-orders')).state).toBe('rolled-back');
      expect(logged.filter((line) => line.startsWith("Dashboard action: mark of 'dedupe-orders' in 'app'"))).toHaveLength(3);
    } finally {
      await readOnly.close();
      await actions.close();
      await sqlite.teardown();
    }
  });

  it('no response of any endpoint holds the database password, even when an error trace named the connection string', async () => {
    const password = fixture.password!;
    expect(fixture.connectionString).toContain(password);
    const logged: string[] = [];
    const logger = {
      debug: (m: string) => logged.push(m),
      info: (m: string) => logged.push(m),
      warn: (m: string) => logged.push(m),
      error: (m: string) => logged.push(m),
    };
    const dashboard = await startDashboard(fixture.config, { port: 0, token: TOKEN, allowActions: true, logger });
    const bodies: string[] = [];
    const auth = { Authorization: `Bearer ${TOKEN}` };
    try {
      for (const path of [
        '',
        'assets/dashboard.js',
        'assets/dashboard.css',
        'api/overview',
        'api/schema',
        'api/databases/postgres',
        'api/databases/postgres/lock',
        'metrics',
        'api/nope',
      ]) {
        bodies.push((await get(`${dashboard.url}${path}`, auth)).body);
        bodies.push((await get(`${dashboard.url}${path}`)).body);
      }
      const held = await holdLock(fixture.config.driver);
      bodies.push((await get(`${dashboard.url}api/databases/postgres`, auth)).body);
      const unlocked = await fetch(`${dashboard.url}api/databases/postgres/unlock`, { method: 'POST', headers: auth });
      bodies.push(await unlocked.text());
      await held.release().catch(() => undefined);
    } finally {
      await dashboard.close();
    }
    expect(bodies.some((body) => body.includes('duplicate keys'))).toBe(true);
    expect(bodies.some((body) => body.includes('***@'))).toBe(true);
    for (const body of bodies) expect(body).not.toContain(password);
    expect(logged.some((line) => line.includes('Dashboard action: unlock'))).toBe(true);
    for (const line of logged) expect(line).not.toContain(password);
  });
});
