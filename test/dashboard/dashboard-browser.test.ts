import { describe, expect, it } from 'vitest';
import { createRunner } from '../../src/index.ts';
import { FERRETDB_URL } from '../support/servers.ts';
import { dashboardInBrowser } from './support/browser.ts';
import {
  type DashboardDatabaseFixture,
  FAILURE_TEXT,
  ferretFixture,
  holdLock,
  postgresFixture,
  runWithAFailure,
  sqliteFixture,
} from './support/dashboard-fixture.ts';

// A real browser (Debian's chromium through playwright-core) on the dashboard of each database
// after a run where one unit failed: what a person sees, screenshots in test-artifacts/dashboard/.

const FIXTURES: ReadonlyArray<[string, () => Promise<DashboardDatabaseFixture>]> = [
  ['sqlite', sqliteFixture],
  ['postgres', postgresFixture],
  ['ferretdb', () => ferretFixture(FERRETDB_URL)],
];

describe.each(FIXTURES)('the dashboard in Chromium on %s', (label, makeFixture) => {
  const suite = dashboardInBrowser(makeFixture, { name: label, refreshMs: 300, cacheMs: 100 }, (fixture) => runWithAFailure(fixture.config));

  it('overview: the database failed, with 2 executed, 1 pending, 1 failed and the last run', async () => {
    const { browser } = suite;
    await suite.visit('overview');
    const card = browser.page.locator(`[data-database="${label}"]`);
    expect(await card.locator('h2 .badge').textContent()).toBe('failed');
    const count = (name: string) => card.locator(`[data-count="${name}"] dd`).textContent();
    expect(await count('executed')).toBe('2');
    expect(await count('pending')).toBe('1');
    expect(await count('failed')).toBe('1');
    expect(await count('total')).toBe('4');
    expect(await count('lock')).toBe('free');
    expect(await card.textContent()).toMatch(/Last run .* failed/);
    await browser.screenshot(`${label}-overview`);
  });

  it("units: the failed unit's error trace is visible, the others are not failed, and the filters narrow the table", async () => {
    const { browser } = suite;
    await suite.visit('units', label);
    const failed = browser.page.locator('tr[data-unit="dedupe-orders"]');
    expect(await failed.getAttribute('data-state')).toBe('failed');
    const trace = browser.page.locator('tr[data-trace-for="dedupe-orders"] pre').first();
    expect(await trace.isVisible()).toBe(true);
    expect(await trace.textContent()).toContain(FAILURE_TEXT);
    expect(await browser.page.locator('tr[data-unit="create-clients"]').getAttribute('data-state')).toBe('executed');
    expect(await browser.page.locator('tr[data-unit="archive-orders"]').getAttribute('data-state')).toBe('pending');
    await browser.screenshot(`${label}-units`);
    await browser.page.selectOption('select[data-filter="version"]', '2.0');
    expect(await browser.page.locator('tbody tr[data-unit]').count()).toBe(2);
    await browser.page.selectOption('select[data-filter="version"]', '');
    await browser.page.selectOption('select[data-filter="state"]', 'executed');
    expect(await browser.page.locator('tbody tr[data-unit]').count()).toBe(2);
    await browser.page.selectOption('select[data-filter="state"]', '');
  });

  it('executions: the timeline lists the run with its host and outcome', async () => {
    const { browser } = suite;
    await suite.visit('executions', label);
    const rows = browser.page.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toMatch(/failed/);
    expect(await rows.first().textContent()).toContain('2 executed, 1 failed');
    await browser.screenshot(`${label}-executions`);
  });

  it('durations: an SVG chart with one dot per executed unit, drawn by the page itself', async () => {
    const { browser } = suite;
    await suite.visit('durations', label);
    expect(await browser.page.locator('svg.chart circle').count()).toBe(2);
    expect(await browser.page.locator('svg.chart circle[data-unit="index-clients"] title').textContent()).toMatch(/^index-clients: \d+ ms/);
    await browser.screenshot(`${label}-durations`);
  });

  it('lock: free, then the holder while the test holds the lock, then free again, refreshing by itself', async () => {
    const { browser } = suite;
    await suite.visit('lock', label);
    await browser.page.waitForSelector('[data-lock="free"]');
    const held = await holdLock(suite.fixture.config.driver);
    try {
      await browser.page.waitForSelector('[data-lock="held"]', { timeout: 15_000 });
      expect(await browser.page.locator('[data-fact="holder"]').textContent()).toBe(held.owner);
      expect(await browser.page.locator('[data-fact="host"]').textContent()).toBe('test-host');
      expect(await browser.page.locator('[data-fact="since"]').textContent()).not.toBe('–');
      await browser.screenshot(`${label}-lock-held`);
    } finally {
      await held.release();
    }
    await browser.page.waitForSelector('[data-lock="free"]', { timeout: 15_000 });
    await browser.screenshot(`${label}-lock-free`);
  });

  it('is usable with the keyboard: Tab reaches the navigation and Enter opens a page', async () => {
    const { browser } = suite;
    await suite.visit('overview');
    let focused = '';
    for (let i = 0; i < 12 && focused !== 'Executions'; i++) {
      await browser.page.keyboard.press('Tab');
      focused = await browser.page.evaluate<string>("document.activeElement?.textContent ?? ''");
    }
    expect(focused).toBe('Executions');
    await browser.page.keyboard.press('Enter');
    await browser.page.waitForSelector('body[data-ready="executions"]');
    expect(await browser.page.locator('nav a[aria-current="page"]').textContent()).toBe('Executions');
  });

  it('has a strict CSP that the browser enforces, loads nothing from elsewhere, and logged no console error', async () => {
    const { browser, dashboard } = suite;
    // The bare address (no fragment) is a real navigation, so its response carries the page's headers.
    const csp = (await browser.page.goto(dashboard.url))?.headers()['content-security-policy'];
    await browser.page.waitForSelector('body[data-ready="overview"]');
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const origin = new URL(dashboard.url).origin;
    expect(browser.requests.length).toBeGreaterThan(5);
    expect(browser.requests.filter((url) => !url.startsWith(origin))).toEqual([]);
    expect([...new Set(browser.requests.filter((url) => url.endsWith('.js')))]).toEqual([`${origin}/assets/dashboard.js`]);
    expect(browser.errors).toEqual([]);
    // An inline script injected into the page does not run: the policy is in force, not only sent.
    const ran = await browser.page.evaluate(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true;';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return window.__inlineRan === true;
    })()`);
    expect(ran).toBe(false);
    expect(browser.errors).toEqual([expect.stringContaining('Content Security Policy')]);
    browser.errors.length = 0;
  });

  it('no response the browser received holds the database password', async () => {
    const { browser, fixture } = suite;
    expect(browser.bodies.length).toBeGreaterThan(5);
    if (fixture.password === null) {
      expect(fixture.label).not.toBe('postgres');
      return;
    }
    for (const body of browser.bodies) expect(body.text, body.url).not.toContain(fixture.password);
    expect(browser.bodies.some((body) => body.text.includes(FAILURE_TEXT))).toBe(true);
  });
});

describe('the dashboard in Chromium before any migration ran (SQLite)', () => {
  const suite = dashboardInBrowser(sqliteFixture, { name: 'fresh' });

  it('says what to do on every page instead of showing empty tables', async () => {
    const { browser } = suite;
    await suite.visit('overview');
    const card = browser.page.locator('[data-database="fresh"]');
    expect(await card.locator('h2 .badge').textContent()).toBe('pending');
    expect(await card.textContent()).toContain('No execution recorded yet.');
    for (const [page, text] of [
      ['executions', 'No executions yet.'],
      ['durations', 'No durations yet.'],
      ['lock', 'Nobody holds the lock.'],
    ] as const) {
      await suite.visit(page, 'fresh');
      expect(await browser.page.locator('#view').textContent(), page).toContain(text);
      await browser.screenshot(`empty-${page}`);
    }
    await suite.visit('units', 'fresh');
    expect(await browser.page.locator('tr[data-state="pending"]').count()).toBe(4);
    await browser.page.selectOption('select[data-filter="state"]', 'failed');
    expect(await browser.page.locator('#view').textContent()).toContain('No change unit matches these filters.');
    expect(browser.errors).toEqual([]);
  });
});

describe('the actions in Chromium (SQLite, token and --allow-actions)', () => {
  const token = 'browser-token-0123456789abcdef';
  const suite = dashboardInBrowser(sqliteFixture, { name: 'app', token, allowActions: true, refreshMs: 300, cacheMs: 0 }, (fixture) =>
    runWithAFailure(fixture.config),
  );

  it('opened once with ?token=, the page clears a held lock with "Unlock now" after a confirmation', async () => {
    const { browser, dashboard, fixture } = suite;
    const held = await holdLock(fixture.config.driver);
    try {
      await browser.page.goto(`${dashboard.url}?token=${token}`);
      expect(browser.page.url()).toBe(dashboard.url);
      await suite.visit('lock', 'app');
      await browser.page.waitForSelector('[data-lock="held"]');
      let asked = '';
      browser.page.once('dialog', (dialog) => {
        asked = dialog.message();
        void dialog.accept();
      });
      await browser.page.getByRole('button', { name: 'Unlock now' }).click();
      await browser.page.waitForSelector('[data-lock="free"]', { timeout: 15_000 });
      expect(asked).toContain(held.owner);
      expect(browser.errors).toEqual([]);
    } finally {
      await held.release().catch(() => undefined);
    }
  });

  it('"Mark applied" on the failed unit asks why, records it in the history like `mongock mark`, and the table shows it', async () => {
    const { browser, fixture } = suite;
    await suite.visit('units', 'app');
    const row = browser.page.locator('tr[data-unit="dedupe-orders"]');
    expect(await row.getAttribute('data-state')).toBe('failed');
    // An executed unit offers only "rolled back"; the failed one both.
    expect(
      await browser.page.locator('tr[data-unit="create-clients"] button[data-mark]').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-mark'))),
    ).toEqual(['rolled-back']);
    let asked = '';
    browser.page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept('deduplicated by hand in the console');
    });
    await row.locator('button[data-mark="applied"]').click();
    await browser.page.waitForSelector('tr[data-unit="dedupe-orders"][data-state="executed"]', { timeout: 15_000 });
    expect(asked).toContain("Mark 'dedupe-orders' by carol in app");
    expect(await browser.page.locator('tr[data-unit="dedupe-orders"] small.manual').textContent()).toMatch(/marked applied by dashboard \(/);
    await browser.screenshot('actions-marked');
    const unit = (await createRunner(fixture.config).status()).units.find((u) => u.changeId === 'dedupe-orders')!;
    expect(unit.state).toBe('executed');
    expect(unit.manual).toMatchObject({ resolution: 'applied', reason: 'deduplicated by hand in the console', previousState: 'FAILED' });
    expect(unit.manual!.by).toMatch(/^dashboard \(/);
    // Dismissing the question marks nothing.
    browser.page.once('dialog', (dialog) => void dialog.dismiss());
    await browser.page.locator('tr[data-unit="archive-orders"] button[data-mark="applied"]').click();
    await browser.page.waitForSelector('#status:has-text("Nothing marked")');
    expect(await browser.page.locator('tr[data-unit="archive-orders"]').getAttribute('data-state')).toBe('pending');
    expect(browser.errors).toEqual([]);
  });
});
