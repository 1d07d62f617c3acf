import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type RunningDashboard, type StartDashboardOptions, startDashboard } from '../../../src/dashboard/index.ts';
import { projectRoot } from '../../support/processes.ts';
import type { DashboardDatabaseFixture } from './dashboard-fixture.ts';

/** Debian's chromium (scripts/browser.sh installs it); playwright-core never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots land here (gitignored), one per page and database. */
export const ARTIFACTS = join(projectRoot, 'test-artifacts', 'dashboard');

export interface ObservedBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
  /** Every URL the page requested. */
  readonly requests: string[];
  /** Every response body the page received, as text, with its URL. */
  readonly bodies: Array<{ url: string; text: string }>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** A fresh headless Chromium (its own --user-data-dir) that records what the page does. */
export async function openBrowser(): Promise<ObservedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'mongock-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  const requests: string[] = [];
  const bodies: Array<{ url: string; text: string }> = [];
  const pending: Promise<void>[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  page.on('response', (response) => {
    if (response.status() >= 300 && response.status() < 400) return;
    pending.push(
      response.text().then(
        (text) => void bodies.push({ url: response.url(), text }),
        () => undefined,
      ),
    );
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    page,
    errors,
    requests,
    bodies,
    async screenshot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await Promise.all(pending);
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What {@link dashboardInBrowser} sets up before a suite's tests; read it inside tests only. */
export interface DashboardInBrowser {
  readonly fixture: DashboardDatabaseFixture;
  readonly dashboard: RunningDashboard;
  readonly browser: ObservedBrowser;
  /** Opens `#/<page>/<database>` (or `#/<page>`) and waits until the page has drawn it. */
  visit(page: string, database?: string): Promise<void>;
}

/**
 * The set-up every browser suite shares: a database fixture (optionally migrated by `prepare`),
 * a dashboard on it on a free port, and a fresh Chromium; all closed after the suite.
 */
export function dashboardInBrowser(
  makeFixture: () => Promise<DashboardDatabaseFixture>,
  options: StartDashboardOptions,
  prepare: (fixture: DashboardDatabaseFixture) => Promise<void> = async () => {},
): DashboardInBrowser {
  let fixture: DashboardDatabaseFixture | undefined;
  let dashboard: RunningDashboard | undefined;
  let browser: ObservedBrowser | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('dashboardInBrowser: read inside a test, after beforeAll');
    return value;
  };
  beforeAll(async () => {
    fixture = await makeFixture();
    await prepare(fixture);
    dashboard = await startDashboard(fixture.config, { port: 0, ...options });
    browser = await openBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await fixture?.teardown();
  });
  return {
    get fixture() {
      return ready(fixture);
    },
    get dashboard() {
      return ready(dashboard);
    },
    get browser() {
      return ready(browser);
    },
    async visit(page, database) {
      await ready(browser).page.goto(`${ready(dashboard).url}#/${page}${database === undefined ? '' : `/${database}`}`);
      await ready(browser).page.waitForSelector(`body[data-ready="${page}"]`);
    },
  };
}
