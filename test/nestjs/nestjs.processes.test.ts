import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, getJson, prepareNestExample, startShop, tempDir } from './support/nest-example.ts';

// The compiled example started the way it runs in production: `node dist/main.js`, its own OS
// process, NestFactory + app.listen, a CommonJS application requiring 'mongock' and 'mongock/nestjs'.

const started: AppProcess[] = [];
const cleanups: Array<() => void> = [];

beforeAll(() => {
  prepareNestExample();
}, 120_000);

afterEach(async () => {
  for (const app of started.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
    await app.exited;
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function newDatabase(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return `${dir}/shop.db`;
}

function shop(env: NodeJS.ProcessEnv): AppProcess {
  const app = startShop(env);
  started.push(app);
  return app;
}

function query<T>(filename: string, sql: string): T[] {
  const db = new Database(filename, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('the NestJS example as separate OS processes (SQLite)', () => {
  it('three instances started at once: each unit applied exactly once, all three answer HTTP', async () => {
    const filename = newDatabase();
    const begin = performance.now();
    const apps = [1, 2, 3].map((n) => shop({ DATABASE_FILE: filename, NODE_ENV: 'dev', SHOP_INSTANCE: String(n) }));
    const urls = await Promise.all(apps.map((app) => app.listening));
    const allUpMs = Math.round(performance.now() - begin);

    for (const url of urls) {
      const { status, body } = await getJson<Array<{ slug: string }>>(`${url}/products`);
      expect(status).toBe(200);
      expect(body.map((product) => product.slug)).toEqual(['espresso-cup', 'moka-pot', 'coffee-beans-1-kg', 'demo-grinder', 'demo-kettle']);
    }
    // The side effect itself: a second run of a seed unit would have inserted its rows again.
    expect(query<{ slug: string; n: number }>(filename, 'SELECT slug, COUNT(*) AS n FROM products GROUP BY slug ORDER BY MIN(id)')).toEqual([
      { slug: 'espresso-cup', n: 1 },
      { slug: 'moka-pot', n: 1 },
      { slug: 'coffee-beans-1-kg', n: 1 },
      { slug: 'demo-grinder', n: 1 },
      { slug: 'demo-kettle', n: 1 },
    ]);
    expect(
      query<{ changeId: string; n: number }>(
        filename,
        "SELECT change_id AS changeId, COUNT(*) AS n FROM mongockChangeLog WHERE state = 'EXECUTED' GROUP BY change_id ORDER BY change_id",
      ),
    ).toEqual([
      { changeId: 'create-products', n: 1 },
      { changeId: 'create-products_before', n: 1 },
      { changeId: 'index-product-slugs', n: 1 },
      { changeId: 'seed-demo-products', n: 1 },
    ]);
    // Exactly one instance migrated; the others found nothing pending once they had the lock (or before).
    const migrated = apps.filter((app) => /Migration .* finished in \d+ ms: 4 executed/.test(app.output()));
    expect(migrated).toHaveLength(1);
    console.info(`[nestjs] 3 concurrent app processes all listening after ${allUpMs} ms`);
  });

  it('a failing change unit stops bootstrap: the process exits non-zero, naming the unit and the cause', async () => {
    const filename = newDatabase();
    // A table left by an older version of the app, without the price_cents column the seed writes.
    const db = new Database(filename);
    db.exec('CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL, currency TEXT NOT NULL)');
    db.close();

    const app = shop({ DATABASE_FILE: filename });
    const { code, output } = await app.exited;

    expect(code).toBe(1); // main.ts's unhandled rejection
    expect(output).not.toContain('Listening on');
    expect(output).toContain("Change 'create-products' by 'shop' failed: table products has no column named price_cents");
    expect(output).toContain('Migration failed; the application does not start.');
    expect(query<{ state: string }>(filename, "SELECT state FROM mongockChangeLog WHERE change_id = 'create-products'")).toEqual([{ state: 'FAILED' }]);
  });

  it('MIGRATE_ON_STARTUP=false (runOnStartup: false): the process starts without migrating; POST /admin/migrations migrates', async () => {
    const filename = newDatabase();
    const url = await shop({ DATABASE_FILE: filename, MIGRATE_ON_STARTUP: 'false' }).listening;
    expect((await fetch(`${url}/products`)).status).toBe(500);
    const result = (await (await fetch(`${url}/admin/migrations`, { method: 'POST' })).json()) as { status: string; executed: number };
    expect(result).toMatchObject({ status: 'completed', executed: 3 });
    expect((await getJson<unknown[]>(`${url}/products`)).body).toHaveLength(3);
  });

  it('SIGTERM with enableShutdownHooks runs the shutdown hooks and ends the process promptly', async () => {
    const filename = newDatabase();
    const app = shop({ DATABASE_FILE: filename });
    await app.listening;
    const begin = performance.now();
    app.child.kill('SIGTERM');
    const { signal } = await app.exited;
    // Nest closes the app (Mongock's onApplicationShutdown included), then re-raises the signal.
    expect(signal).toBe('SIGTERM');
    expect(performance.now() - begin).toBeLessThan(5_000);
  });
});
