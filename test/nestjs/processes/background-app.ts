// A real Nest HTTP application with `MongockModule.forRoot({ background: true })`, as its own OS
// process. Usage: background-app.ts '<json spec>' (see BackgroundAppSpec). Its units, in order:
// `create-flags` (plain: a table and a row), `mark-items` (batched: adds 1 to the marker `n` of
// every row of `items`, 100 per batch) and `flag-done` (plain, after it). With `gateAtBatch`, that
// batch of this process waits inside `apply` until the module's migration is `stopping` (the
// application is shutting down), so the stop falls on a known batch whatever the machine's speed.
// GET /progress answers { state, status, units: { [changeId]: { state, batch } } } from
// `MongockMigration` and `runner.status()`; with `failAtBatch`, that batch throws. Prints "Listening on <url>" once it serves.

import 'reflect-metadata';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type PostgresChangeContext, postgresDriver, tableSource as postgresTable } from '../../../src/drivers/postgres/index.ts';
import { type SqliteChangeContext, sqliteDriver, tableSource as sqliteTable } from '../../../src/drivers/sqlite/index.ts';
import { type BatchSource, batched, type Driver, defineChangeUnit } from '../../../src/index.ts';
import { MongockMigration, MongockModule, MongockRunner } from '../../../src/nestjs/index.ts';

export interface BackgroundAppSpec {
  readonly driver: 'sqlite' | 'postgres';
  /** SQLite file, or PostgreSQL `url|schema`. */
  readonly target: string;
  readonly gateAtBatch?: number;
  /** That batch of this process throws (after the application serves). */
  readonly failAtBatch?: number;
}

const spec = JSON.parse(process.argv[2]!) as BackgroundAppSpec;

interface Target {
  readonly driver: Driver<object>;
  readonly source: BatchSource<unknown, object>;
  run(context: object, sql: string, params?: unknown[]): Promise<void>;
  readonly items: string;
  readonly flags: string;
}

function target(): Target {
  if (spec.driver === 'sqlite') {
    return {
      driver: sqliteDriver({ filename: spec.target }) as Driver<object>,
      source: sqliteTable({ table: 'items', key: 'id', columns: ['id'] }) as BatchSource<unknown, object>,
      run: async (context, sql, params = []) => void (await (context as SqliteChangeContext).sql.run(sql.replace(/\$\d+/g, '?'), ...params)),
      items: 'items',
      flags: 'flags',
    };
  }
  const [connectionString, schema] = spec.target.split('|') as [string, string];
  return {
    driver: postgresDriver({ connectionString, schema }) as Driver<object>,
    source: postgresTable({ table: `${schema}.items`, key: 'id', columns: ['id'] }) as BatchSource<unknown, object>,
    run: async (context, sql, params = []) => void (await (context as PostgresChangeContext).sql.query(sql, params)),
    items: `"${schema}".items`,
    flags: `"${schema}".flags`,
  };
}

const db = target();
let migration: MongockMigration | undefined;
let batchesHere = 0;
/** The gated batch waits at its gate: a stop asked before it would fall on an earlier boundary. */
let gated = false;

async function untilStopping(): Promise<void> {
  while (migration?.state !== 'stopping') await new Promise((resolve) => setTimeout(resolve, 20));
}

const units = [
  defineChangeUnit<object>({
    id: 'create-flags',
    order: '001',
    author: 'app',
    execute: async (context) => {
      await db.run(context, `CREATE TABLE ${db.flags} (name text PRIMARY KEY)`);
      await db.run(context, `INSERT INTO ${db.flags} (name) VALUES ('created')`);
    },
    rollback: async () => {},
  }),
  defineChangeUnit<object>({
    id: 'mark-items',
    order: '002',
    author: 'app',
    execute: batched<unknown, object>({
      source: db.source,
      size: 100,
      async apply(batch, context) {
        batchesHere++;
        if (batchesHere === spec.failAtBatch) throw new Error(`batch ${batchesHere} refused`);
        const ids = batch.map((row) => (row as { id: number }).id);
        await db.run(context, `UPDATE ${db.items} SET n = n + 1 WHERE id >= $1 AND id <= $2`, [ids[0], ids[ids.length - 1]]);
        if (batchesHere === spec.gateAtBatch) {
          gated = true;
          await untilStopping();
        }
      },
    }),
    rollback: async () => {},
  }),
  defineChangeUnit<object>({
    id: 'flag-done',
    order: '003',
    author: 'app',
    execute: (context) => db.run(context, `INSERT INTO ${db.flags} (name) VALUES ('done')`),
    rollback: async () => {},
  }),
];

// Decorators applied by hand: tsx runs this file without decorator metadata.
class ProgressController {
  constructor(
    private readonly handle: MongockMigration,
    private readonly runner: MongockRunner,
  ) {}

  async progress() {
    // The handle first: read after status(), it could say finished of a run that status() saw
    // still working (its last unit not yet recorded) and the answer contradicted itself.
    const { state, result } = this.handle;
    const status = await this.runner.status();
    const byId = Object.fromEntries(status.units.map((unit) => [unit.changeId, { state: unit.state, batch: unit.batch }]));
    return { state, status: result?.status ?? null, units: byId, gated };
  }
}
Inject(MongockMigration)(ProgressController, undefined as never, 0);
Inject(MongockRunner)(ProgressController, undefined as never, 1);
Get('progress')(ProgressController.prototype, 'progress', Object.getOwnPropertyDescriptor(ProgressController.prototype, 'progress')!);
Controller()(ProgressController);

class AppModule {}
Module({
  imports: [MongockModule.forRoot({ driver: db.driver, changeUnits: units, background: true, lockConfig: { acquiredForMs: 60_000 } })],
  controllers: [ProgressController],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['log', 'error', 'warn'] });
migration = app.get(MongockMigration);
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
process.stdout.write(`Listening on ${await app.getUrl()}\n`);
