import type { INestApplication, Type } from '@nestjs/common';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/mongodb-harness.ts';
import { FERRETDB_URL } from '../support/servers.ts';
import { type AppProcess, getJson, loadNestExample, type NestExample, prepareNestExample, shopSettings, startShop } from './support/nest-example.ts';

// The same NestJS example on the MongoDB wire protocol: FerretDB always (it must be up), and a
// real MongoDB replica set (transactions) when MONGODB_URI is set.

interface Product {
  readonly slug: string;
  readonly currency: string;
}

let ex: NestExample;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  prepareNestExample();
  ex = loadNestExample();
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(url: string) {
  const fresh = await freshDatabase(url);
  cleanups.push(() => fresh.drop());
  return fresh;
}

function shop(env: NodeJS.ProcessEnv): AppProcess {
  const app = startShop(env);
  cleanups.push(async () => {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
    await app.exited;
  });
  return app;
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

const SERVERS: Array<{ label: string; url: string | undefined }> = [
  { label: 'FerretDB', url: FERRETDB_URL },
  { label: 'MongoDB (MONGODB_URI)', url: process.env.MONGODB_URI },
];

for (const { label, url } of SERVERS) {
  if (url === undefined) console.warn(`[nestjs] ${label}: MONGODB_URI is not set; the NestJS suite on a real MongoDB replica set is skipped.`);

  describe.skipIf(url === undefined)(`MongockModule on ${label}`, () => {
    const serverUrl = url!;

    it('forRootAsync (useFactory) with the app’s MongoClient: units get CatalogService, profiles from settings', async () => {
      const { db, name } = await database(serverUrl);
      const settings = { ...shopSettings('unused.db'), mongodbUri: serverUrl, databaseName: name, profiles: ['dev'], currency: 'CHF' };
      const moduleRef = await ex.testing.Test.createTestingModule({ imports: [ex.AppModule] })
        .overrideProvider(ex.AppSettings)
        .useValue(settings)
        .compile();
      const app = moduleRef.createNestApplication({ logger: false });
      cleanups.push(() => app.close());
      const base = await listen(app);

      const { body } = await getJson<Product[]>(`${base}/products`);
      expect(body.map((product) => product.slug)).toEqual(['espresso-cup', 'moka-pot', 'coffee-beans-1-kg', 'demo-grinder', 'demo-kettle']);
      expect(new Set(body.map((product) => product.currency))).toEqual(new Set(['CHF']));
      const executed = await db.collection('mongockChangeLog').distinct('changeId', { state: 'EXECUTED' });
      expect(executed.sort()).toEqual(['create-products', 'index-product-slugs', 'seed-demo-products']);
      expect((await db.collection('products').indexes()).map((index) => index.name)).toContain('products_slug');
    });

    it('forRoot with mongoDriver({ uri }) and a plain-object unit', async () => {
      const { db, name } = await database(serverUrl);
      const mongock = ex.nest.MongockModule.forRoot({
        driver: ex.mongodb.mongoDriver({ uri: serverUrl, databaseName: name }),
        changeUnits: ex.MONGODB_MIGRATIONS,
        imports: [ex.CatalogModule],
      });
      const ShopTestModule = class ShopTestModule {};
      const root = { module: ShopTestModule, imports: [ex.SettingsModule, ex.CatalogModule, mongock] } as unknown as Type<unknown>;
      const settings = { ...shopSettings('unused.db'), mongodbUri: serverUrl, databaseName: name };
      const moduleRef = await ex.testing.Test.createTestingModule({ imports: [root] })
        .overrideProvider(ex.AppSettings)
        .useValue(settings)
        .compile();
      const app = moduleRef.createNestApplication({ logger: false });
      cleanups.push(() => app.close());
      await app.init();
      expect(await db.collection('products').countDocuments()).toBe(3);
    });

    it('three app processes at once: each unit applied exactly once, all three answer HTTP', async () => {
      const { db, name } = await database(serverUrl);
      const env = { SHOP_MONGODB_URI: serverUrl, SHOP_DATABASE_NAME: name, NODE_ENV: 'dev' };
      const apps = [1, 2, 3].map(() => shop(env));
      const urls = await Promise.all(apps.map((app) => app.listening));

      for (const base of urls) expect((await getJson<Product[]>(`${base}/products`)).body).toHaveLength(5);
      const perSlug = await db
        .collection('products')
        .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$slug', n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
        .toArray();
      expect(perSlug).toEqual(['coffee-beans-1-kg', 'demo-grinder', 'demo-kettle', 'espresso-cup', 'moka-pot'].map((slug) => ({ _id: slug, n: 1 })));
      const executed = await db
        .collection('mongockChangeLog')
        .aggregate<{ _id: string; n: number }>([{ $match: { state: 'EXECUTED' } }, { $group: { _id: '$changeId', n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
        .toArray();
      expect(executed).toEqual(['create-products', 'index-product-slugs', 'seed-demo-products'].map((id) => ({ _id: id, n: 1 })));
    });

    it('a failing unit: the process exits non-zero, naming the unit and the cause', async () => {
      const { db, name } = await database(serverUrl);
      // Data left by an older version: a product with the same slug under a unique index.
      await db.collection('products').createIndex({ slug: 1 }, { unique: true });
      await db.collection('products').insertOne({ name: 'Old moka pot', slug: 'moka-pot' });

      const { code, output } = await shop({ SHOP_MONGODB_URI: serverUrl, SHOP_DATABASE_NAME: name }).exited;
      expect(code).not.toBe(0);
      expect(output).not.toContain('Listening on');
      expect(output).toMatch(/Change 'create-products' by 'shop' failed: .*E11000 duplicate key/);
    });
  });
}
