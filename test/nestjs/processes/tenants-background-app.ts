// A real Nest HTTP application with `MongockTenantsModule.forRoot({ background: true })`, as its
// own OS process: one SQLite file per tenant. Usage: tenants-background-app.ts '<json spec>' (see
// TenantsBackgroundAppSpec). Each tenant's units, in order: `create-flags` (plain: a table and a
// row), `mark-items` (batched: adds 1 to the marker `n` of every row of `items`, 100 per batch) and
// `flag-done` (plain, after it). With `gate`, that tenant's batch (counted in this process) waits
// inside `apply` until the module's migration is `stopping` (the application is shutting down), so
// the stop falls on a known batch whatever the machine's speed. GET /progress answers
// { state, tenants: [{ tenant, state }] } from `MongockTenantsMigration`, and with `gate`,
// `gated`: whether that batch is waiting at the gate (a stop asked before it would fall earlier). Prints "Listening on <url>" once it serves.

import 'reflect-metadata';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type SqliteChangeContext, sqliteDriver, tableSource } from '../../../src/drivers/sqlite/index.ts';
import { batched, defineChangeUnit, type Tenant } from '../../../src/index.ts';
import { MongockTenantsMigration, MongockTenantsModule } from '../../../src/nestjs/index.ts';

export interface TenantsBackgroundAppSpec {
  /** Tenant id → its SQLite file, in list order. */
  readonly files: Readonly<Record<string, string>>;
  readonly gate?: { readonly tenant: string; readonly batch: number };
}

const spec = JSON.parse(process.argv[2]!) as TenantsBackgroundAppSpec;
let migration: MongockTenantsMigration | undefined;
const batchesHere = new Map<string, number>();
let gated = false;

async function untilStopping(): Promise<void> {
  while (migration?.state !== 'stopping') await new Promise((resolve) => setTimeout(resolve, 20));
}

type Context = SqliteChangeContext & { readonly tenant: Tenant };
const run = (context: Context, sql: string, ...params: unknown[]) => context.sql.run(sql, ...params);

const units = [
  defineChangeUnit<Context>({
    id: 'create-flags',
    order: '001',
    author: 'app',
    execute: async (context) => {
      await run(context, 'CREATE TABLE flags (name text PRIMARY KEY)');
      await run(context, "INSERT INTO flags (name) VALUES ('created')");
    },
    rollback: async () => {},
  }),
  defineChangeUnit<Context>({
    id: 'mark-items',
    order: '002',
    author: 'app',
    execute: batched<unknown, Context>({
      source: tableSource({ table: 'items', key: 'id', columns: ['id'] }) as never,
      size: 100,
      async apply(batch, context) {
        const here = (batchesHere.get(context.tenant.id) ?? 0) + 1;
        batchesHere.set(context.tenant.id, here);
        const ids = batch.map((row) => (row as { id: number }).id);
        await run(context, 'UPDATE items SET n = n + 1 WHERE id >= ? AND id <= ?', ids[0], ids[ids.length - 1]);
        if (spec.gate?.tenant === context.tenant.id && spec.gate.batch === here) {
          gated = true;
          await untilStopping();
        }
      },
    }),
    rollback: async () => {},
  }),
  defineChangeUnit<Context>({
    id: 'flag-done',
    order: '003',
    author: 'app',
    execute: (context) => run(context, "INSERT INTO flags (name) VALUES ('done')").then(() => undefined),
    rollback: async () => {},
  }),
];

// Decorators applied by hand: tsx runs this file without decorator metadata.
class ProgressController {
  constructor(private readonly handle: MongockTenantsMigration) {}

  progress() {
    const tenants = this.handle.tenants.map(({ tenant, state }) => ({ tenant, state }));
    return { state: this.handle.state, tenants, ...(spec.gate === undefined ? {} : { gated }) };
  }
}
Inject(MongockTenantsMigration)(ProgressController, undefined as never, 0);
Get('progress')(ProgressController.prototype, 'progress', Object.getOwnPropertyDescriptor(ProgressController.prototype, 'progress')!);
Controller()(ProgressController);

class AppModule {}
Module({
  imports: [
    MongockTenantsModule.forRoot({
      changeUnits: units as never,
      background: true,
      lockConfig: { acquiredForMs: 60_000 },
      tenants: { list: Object.keys(spec.files).map((id) => ({ id })), driver: (tenant) => sqliteDriver({ filename: spec.files[tenant.id]! }) },
    }),
  ],
  controllers: [ProgressController],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['log', 'error', 'warn'] });
migration = app.get(MongockTenantsMigration);
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
process.stdout.write(`Listening on ${await app.getUrl()}\n`);
