#!/usr/bin/env node
// `npm run bench:batches`: what the checkpointing of batched() costs. On each driver (SQLite,
// PostgreSQL, MariaDB, FerretDB), a table/collection `items` of N items with a marker `n` = 0 is
// updated (`n = n + 1`, by key) in batches of 100 / 1,000 / 10,000, two ways over fresh data:
//   - a hand-written loop on its own connection: per batch, in a transaction where the database
//     has them, read the next `size` keys after the last one (keyset: key > last ORDER BY key
//     LIMIT size) and update them; no checkpoint, no lock, no history;
//   - the runner: one batched() unit doing the same reads (the driver's tableSource /
//     collectionSource) and the same update in `apply`, plus its checkpoint per batch, its lock,
//     history entry and release: `await runner.execute()` from start to end.
// In-process wall time (performance.now()) and this process's CPU time (process.cpuUsage()) of
// each, in one Node process; the two run in pairs, the order alternating per round, and the median
// of the per-pair ratios is reported, with the load average of each round. Every run is checked:
// each item's marker is exactly 1 afterwards. Writes bench/RESULTS-batches.md.
// Servers: `bash scripts/test-servers.sh up`. Not part of `npm test`.
// Environment: MONGOCK_BENCH_BATCH_DRIVERS (sqlite,postgres,mysql,mongodb), MONGOCK_BENCH_BATCH_SIZES
// (100,1000,10000), MONGOCK_BENCH_BATCH_ROUNDS (5), MONGOCK_BENCH_BATCH_ITEMS_<DRIVER> (items),
// MONGOCK_BENCH_OUT (the results file, relative to bench/ or absolute; default RESULTS-batches.md).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MongoClient, ObjectId } from 'mongodb';
import mysql from 'mysql2/promise';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = process.env.MONGOCK_BENCH_OUT ?? 'RESULTS-batches.md';
const root = join(here, '..');
if (!existsSync(join(root, 'dist', 'index.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
const { batched, defineChangeUnit, MongockBuilder, silentLogger } = await import(join(root, 'dist', 'index.js'));
const sqliteModule = await import(join(root, 'dist', 'sqlite.js'));
const postgresModule = await import(join(root, 'dist', 'postgres.js'));
const mysqlModule = await import(join(root, 'dist', 'mysql.js'));
const mongoModule = await import(join(root, 'dist', 'mongodb.js'));

const env = process.env;
const POSTGRES = env.MONGOCK_BENCH_POSTGRES_URL ?? 'postgres://mongock:mongock@127.0.0.1:54329/mongock_test';
const MYSQL = env.MONGOCK_BENCH_MYSQL_URL ?? 'mysql://mongock:mongock@127.0.0.1:33069/mongock_test';
const MONGODB = env.MONGOCK_BENCH_MONGODB_URL ?? 'mongodb://127.0.0.1:27027/';
const DRIVERS = (env.MONGOCK_BENCH_BATCH_DRIVERS ?? 'sqlite,postgres,mysql,mongodb').split(',');
const SIZES = (env.MONGOCK_BENCH_BATCH_SIZES ?? '100,1000,10000').split(',').map(Number);
// FerretDB: batches of 10,000 need 100,000+ documents to mean anything, which it cannot update in a bench's time (below).
const sizesFor = (driver) =>
  env[`MONGOCK_BENCH_BATCH_SIZES_${driver.toUpperCase()}`]?.split(',').map(Number) ?? (driver === 'mongodb' ? SIZES.filter((size) => size < 10_000) : SIZES);
const ROUNDS = Number(env.MONGOCK_BENCH_BATCH_ROUNDS ?? 5);
// FerretDB's own cost (seconds per pass, below) dwarfs the checkpoint's: 3 pairs keep the whole bench near 20 minutes.
const roundsFor = (driver) => Number(env[`MONGOCK_BENCH_BATCH_ROUNDS_${driver.toUpperCase()}`] ?? (driver === 'mongodb' ? Math.min(ROUNDS, 3) : ROUNDS));
/** The target: the runner within 10% of the hand-written loop. */
const TARGET = 1.1;
// FerretDB v1 (SQLite backend) scans the whole collection for every keyset read and for every
// updateOne by _id (its _id index is on another expression than its queries): O(N²), so its N is
// small (see the notes written into the results).
const DEFAULT_ITEMS = { sqlite: 100_000, postgres: 100_000, mysql: 100_000, mongodb: 1_000 };
const itemsFor = (driver) => Number(env[`MONGOCK_BENCH_BATCH_ITEMS_${driver.toUpperCase()}`] ?? DEFAULT_ITEMS[driver]);
/** FerretDB v1.24 never answers an `update` command of 100 statements or more (docs/batched-changes.md). */
const MONGO_UPDATES_PER_COMMAND = 99;
const loadAtStart = loadavg();
const startedAt = new Date();

// ------------------------------------------------------------------ one fixture per driver

/**
 * The hand-written loop: per batch, begin (a transaction where there is one), read the next `size`
 * keys after the last one, update them, commit; until a short batch. Returns its ms (connection excluded).
 */
async function keysetLoop(size, { begin, read, write, commit }) {
  const began = performance.now();
  let last;
  for (;;) {
    await begin();
    const keys = await read(last);
    if (keys.length > 0) await write(keys);
    await commit();
    if (keys.length < size) break;
    last = keys[keys.length - 1];
  }
  return performance.now() - began;
}
// fresh(n) makes the data; update(handle, ids) is the one write both ways share; loop(size) is the
// hand-written loop; source() the runner's; check() returns the marker histogram.

const fixtures = {
  sqlite: {
    label: 'SQLite (better-sqlite3, WAL)',
    async fresh(n) {
      const dir = mkdtempSync(join(tmpdir(), 'mongock-bench-batches-'));
      const filename = join(dir, 'bench.db');
      const db = new Database(filename);
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)');
      db.exec(`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${n}) INSERT INTO items (id) SELECT i FROM g`);
      db.close();
      const update = 'UPDATE items SET n = n + 1 WHERE id IN (SELECT value FROM json_each(?))';
      return {
        driver: () => sqliteModule.sqliteDriver({ filename }),
        source: () => sqliteModule.tableSource({ table: 'items', key: 'id', columns: ['id'] }),
        apply: async (batch, { sql }) => void (await sql.run(update, JSON.stringify(batch.map((row) => row.id)))),
        async loop(size) {
          const conn = new Database(filename);
          // What the driver sets on a file it opens itself (WAL is already the file's mode): both sides commit alike.
          conn.pragma('synchronous = NORMAL');
          const read = conn.prepare('SELECT "id" FROM "items" WHERE "id" > ? ORDER BY "id" LIMIT ?');
          const write = conn.prepare(update);
          const phase = await keysetLoop(size, {
            begin: () => conn.exec('BEGIN IMMEDIATE'),
            read: (last) => read.all(last ?? 0, size).map((row) => row.id),
            write: (ids) => write.run(JSON.stringify(ids)),
            commit: () => conn.exec('COMMIT'),
          });
          conn.close();
          return phase;
        },
        async check() {
          const conn = new Database(filename, { readonly: true });
          const rows = conn.prepare('SELECT n, count(*) AS c FROM items GROUP BY n').all();
          conn.close();
          return Object.fromEntries(rows.map((row) => [row.n, row.c]));
        },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  postgres: {
    label: 'PostgreSQL (pg)',
    async fresh(n) {
      const schema = `bench_batches_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: POSTGRES });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(`CREATE TABLE ${schema}.items (id int NOT NULL, n int NOT NULL DEFAULT 0)`);
      await admin.query(`INSERT INTO ${schema}.items (id) SELECT g FROM generate_series(1, ${n}) AS g`);
      await admin.query(`ALTER TABLE ${schema}.items ADD PRIMARY KEY (id)`);
      await admin.query(`VACUUM ANALYZE ${schema}.items`);
      const update = `UPDATE ${schema}.items SET n = n + 1 WHERE id = ANY($1::int[])`;
      return {
        driver: () => postgresModule.postgresDriver({ connectionString: POSTGRES, schema }),
        source: () => postgresModule.tableSource({ table: `${schema}.items`, key: 'id', columns: ['id'] }),
        apply: async (batch, { sql }) => void (await sql.query(update, [batch.map((row) => row.id)])),
        async loop(size) {
          const conn = new pg.Client({ connectionString: POSTGRES });
          await conn.connect();
          const phase = await keysetLoop(size, {
            begin: () => conn.query('BEGIN'),
            read: async (last) =>
              (await conn.query(`SELECT "id" FROM "${schema}"."items" WHERE "id" > $1 ORDER BY "id" LIMIT ${size}`, [last ?? 0])).rows.map((row) => row.id),
            write: (ids) => conn.query(update, [ids]),
            commit: () => conn.query('COMMIT'),
          });
          await conn.end();
          return phase;
        },
        async check() {
          const { rows } = await admin.query(`SELECT n, count(*)::int AS c FROM ${schema}.items GROUP BY n`);
          return Object.fromEntries(rows.map((row) => [row.n, row.c]));
        },
        async drop() {
          await admin.query(`DROP SCHEMA ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  },
  mysql: {
    label: 'MariaDB (mysql2)',
    async fresh(n) {
      const database = `bench_batches_${randomBytes(4).toString('hex')}`;
      const admin = await mysql.createConnection({ uri: MYSQL });
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.query(`CREATE TABLE ${database}.items (id int NOT NULL PRIMARY KEY, n int NOT NULL DEFAULT 0) ENGINE=InnoDB`);
      await admin.query(`INSERT INTO ${database}.items (id) SELECT seq FROM seq_1_to_${n}`);
      await admin.query(`ANALYZE TABLE ${database}.items`);
      const url = new URL(MYSQL);
      url.pathname = `/${database}`;
      const uri = url.toString();
      const update = 'UPDATE items SET n = n + 1 WHERE id IN (?)';
      return {
        driver: () => mysqlModule.mysqlDriver({ uri }),
        source: () =>
          mysqlModule.tableSource
            ? mysqlModule.tableSource({ table: 'items', key: 'id', columns: ['id'] })
            : {
                // mongock/mysql without a tableSource: the same keyset read as a custom source.
                read: ({ sql }, after, size) => sql.query(`SELECT \`id\` FROM \`items\` WHERE \`id\` > ? ORDER BY \`id\` LIMIT ${size}`, [after ?? 0]),
                keyOf: (row) => row.id,
              },
        apply: async (batch, { sql }) => void (await sql.run(update, [batch.map((row) => row.id)])),
        async loop(size) {
          const conn = await mysql.createConnection({ uri });
          const phase = await keysetLoop(size, {
            begin: () => conn.query('START TRANSACTION'),
            read: async (last) =>
              (await conn.query(`SELECT \`id\` FROM \`items\` WHERE \`id\` > ? ORDER BY \`id\` LIMIT ${size}`, [last ?? 0]))[0].map((row) => row.id),
            write: (ids) => conn.query(update, [ids]),
            commit: () => conn.query('COMMIT'),
          });
          await conn.end();
          return phase;
        },
        async check() {
          const [rows] = await admin.query(`SELECT n, count(*) AS c FROM ${database}.items GROUP BY n`);
          return Object.fromEntries(rows.map((row) => [row.n, Number(row.c)]));
        },
        async drop() {
          await admin.query(`DROP DATABASE ${database}`);
          await admin.end();
        },
      };
    },
  },
  mongodb: {
    label: 'FerretDB 1.24 (MongoDB wire, SQLite backend, no transactions)',
    async fresh(n) {
      const name = `bench_batches_${randomBytes(4).toString('hex')}`;
      const admin = await new MongoClient(MONGODB).connect();
      const collection = admin.db(name).collection('items');
      for (let i = 0; i < n; i += 10_000) {
        await collection.insertMany(
          Array.from({ length: Math.min(10_000, n - i) }, () => ({ _id: new ObjectId(), n: 0 })),
          { ordered: false },
        );
      }
      const update = async (items, ids, session) => {
        for (let i = 0; i < ids.length; i += MONGO_UPDATES_PER_COMMAND) {
          const chunk = ids.slice(i, i + MONGO_UPDATES_PER_COMMAND).map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { n: 1 } } } }));
          await items.bulkWrite(chunk, session === undefined ? {} : { session });
        }
      };
      return {
        driver: () => mongoModule.mongoDriver({ uri: MONGODB, databaseName: name }),
        source: () => mongoModule.collectionSource({ collection: 'items', projection: { _id: 1 } }),
        apply: (batch, { db, session }) =>
          update(
            db.collection('items'),
            batch.map((document) => document._id),
            session,
          ),
        async loop(size) {
          const client = await new MongoClient(MONGODB).connect();
          const items = client.db(name).collection('items');
          // No transactions on FerretDB: begin and commit are nothing.
          const phase = await keysetLoop(size, {
            begin: () => {},
            read: async (last) =>
              (await items.find(last === undefined ? {} : { _id: { $gt: last } }, { sort: { _id: 1 }, limit: size, projection: { _id: 1 } }).toArray()).map(
                (document) => document._id,
              ),
            write: (ids) => update(items, ids),
            commit: () => {},
          });
          await client.close();
          return phase;
        },
        async check() {
          const groups = await collection.aggregate([{ $group: { _id: '$n', c: { $sum: 1 } } }]).toArray();
          return Object.fromEntries(groups.map((group) => [group._id, group.c]));
        },
        async drop() {
          await admin.db(name).dropDatabase();
          await admin.close();
        },
      };
    },
  },
};

// ------------------------------------------------------------------ measuring

/**
 * One measurement on fresh data: { whole, phase } in ms, the marker histogram checked to be all 1s.
 * `phase`: the batches alone — the loop from its first BEGIN to its last COMMIT; the runner from
 * 'unit-started' to 'unit-finished' (every read, apply and checkpoint, and the history entry).
 */
async function measure(driver, how, size) {
  const n = itemsFor(driver);
  const data = await fixtures[driver].fresh(n);
  try {
    let whole;
    let phase;
    let cpu;
    const cpuMs = (since) => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1000;
    };
    if (how === 'loop') {
      const t = performance.now();
      const c = process.cpuUsage();
      phase = await data.loop(size);
      cpu = cpuMs(c);
      whole = performance.now() - t;
    } else {
      const unit = defineChangeUnit({
        id: 'bench-batches',
        order: '001',
        author: 'bench',
        execute: batched({ source: data.source(), size, apply: data.apply }),
        rollback: () => {},
      });
      const runner = new MongockBuilder().setDriver(data.driver()).addChangeUnits(unit).setLogger(silentLogger).buildRunner();
      let unitStarted = 0;
      let cpuStarted;
      runner.on('unit-started', () => {
        unitStarted = performance.now();
        cpuStarted = process.cpuUsage();
      });
      runner.on('unit-finished', () => {
        phase = performance.now() - unitStarted;
        cpu = cpuMs(cpuStarted);
      });
      const t = performance.now();
      const result = await runner.execute();
      whole = performance.now() - t;
      if (result.status !== 'completed') throw new Error(`${driver} size ${size}: the runner ended ${result.status}`);
    }
    const markers = await data.check();
    if (markers[1] !== n || Object.keys(markers).length !== 1)
      throw new Error(`${driver} ${how} size ${size}: markers ${JSON.stringify(markers)}, expected { 1: ${n} }`);
    return { whole, phase, cpu };
  } finally {
    await data.drop();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const results = [];
const failures = [];
for (const driver of DRIVERS) {
  const n = itemsFor(driver);
  try {
    // One discarded pass each way on a tenth of the data: module loading, first connections and JIT are not what is measured.
    const warmUp = Math.max(1, Math.floor(n / 10));
    const saved = env[`MONGOCK_BENCH_BATCH_ITEMS_${driver.toUpperCase()}`];
    env[`MONGOCK_BENCH_BATCH_ITEMS_${driver.toUpperCase()}`] = String(warmUp);
    await measure(driver, 'loop', 1_000);
    await measure(driver, 'runner', 1_000);
    if (saved === undefined) delete env[`MONGOCK_BENCH_BATCH_ITEMS_${driver.toUpperCase()}`];
    else env[`MONGOCK_BENCH_BATCH_ITEMS_${driver.toUpperCase()}`] = saved;
  } catch (error) {
    // A driver this build cannot run batched units on (no checkpoint store) is reported, not fatal.
    failures.push({ driver, message: error instanceof Error ? error.message : String(error) });
    console.log(`${driver}: skipped, ${failures.at(-1).message}`);
    writeResults(false);
    continue;
  }
  for (const size of sizesFor(driver)) {
    const rounds = [];
    const lineStarted = performance.now();
    for (let round = 0; round < roundsFor(driver); round++) {
      const load = loadavg()[0];
      const order = round % 2 === 0 ? ['loop', 'runner'] : ['runner', 'loop'];
      const ms = {};
      for (const how of order) ms[how] = await measure(driver, how, size);
      rounds.push({
        load,
        loop: ms.loop,
        runner: ms.runner,
        phaseRatio: ms.runner.phase / ms.loop.phase,
        wholeRatio: ms.runner.whole / ms.loop.whole,
        cpuRatio: ms.runner.cpu / ms.loop.cpu,
      });
      console.log(
        `${driver} size ${size} round ${round + 1}: batches loop ${ms.loop.phase.toFixed(0)} ms / runner ${ms.runner.phase.toFixed(0)} ms (${(ms.runner.phase / ms.loop.phase).toFixed(3)}×); whole ${ms.loop.whole.toFixed(0)} / ${ms.runner.whole.toFixed(0)} ms; load ${load.toFixed(1)}`,
      );
    }
    const pick = (f) => median(rounds.map(f));
    results.push({
      driver,
      n,
      size,
      loopPhase: pick((r) => r.loop.phase),
      runnerPhase: pick((r) => r.runner.phase),
      phaseRatio: pick((r) => r.phaseRatio),
      phaseRatios: rounds.map((r) => r.phaseRatio),
      loopWhole: pick((r) => r.loop.whole),
      runnerWhole: pick((r) => r.runner.whole),
      wholeRatio: pick((r) => r.wholeRatio),
      cpuRatio: pick((r) => r.cpuRatio),
      load: pick((r) => r.load),
      loads: rounds.map((r) => r.load),
      pairs: rounds.length,
      lineSeconds: (performance.now() - lineStarted) / 1000,
    });
    writeResults(false);
  }
}
writeResults(true);

function writeResults(complete) {
  const perSecond = (n, ms) => Math.round((n / ms) * 1000).toLocaleString('en-US');
  const verdict = (r) => (r.phaseRatio <= TARGET ? 'met' : 'not met');
  const loads = results.flatMap((r) => r.loads);
  const [loadLow, loadHigh] = loads.length === 0 ? [0, 0] : [Math.min(...loads), Math.max(...loads)];
  const lines = [
    '# Batched units: the cost of the checkpoint',
    '',
    `Written by \`npm run bench:batches\` (bench/batches.mjs) on ${startedAt.toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}.${complete ? '' : ' **Partial: the run is still going or stopped early.**'}`,
    `Load average at start: ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min); 1-min load at the start of the rounds: ${loadLow.toFixed(1)} to ${loadHigh.toFixed(1)} (median per line in the last column).`,
    `${loadHigh > cpus().length ? '**Measured under load** (more runnable processes than cores): wall times are slowed by waiting for a core, and a round trip to a server waits for the server to be scheduled too; read the per-pair ratios, not the absolute times.' : 'The machine was quiet enough (load at most its core count).'}`,
    `${ROUNDS} pairs per line (FerretDB: ${roundsFor('mongodb')}), loop and runner in turn, the order alternating, fresh data for each run; medians (a ratio is the median of the per-pair ratios). "took": the line's wall time, data generation included.`,
    'In-process wall time (`performance.now()`, one Node process). "batches": the loop from its first BEGIN to its last COMMIT, the',
    'runner from `unit-started` to `unit-finished` (the estimate, reads, applies, checkpoints, the history entry): the cost of the checkpointing.',
    '"whole": the loop from connect to close, the runner the whole `await runner.execute()` (connect, lock, history read, the',
    'batches, release, close): what a run costs, start-up included. "CPU": this process\'s user + system time over the batches (for',
    'SQLite all the work; for a server only the client side).',
    `Target (issue 13): runner / loop (batches) ≤ ${TARGET.toFixed(2)}.`,
    '',
    '| driver | items | batch size | loop: batches | items/s | runner: batches | items/s | runner / loop (batches) | target | per pair | runner / loop (CPU) | loop: whole | runner: whole | runner / loop (whole) | load | took |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${fixtures[r.driver].label} | ${r.n.toLocaleString('en-US')} | ${r.size.toLocaleString('en-US')} | ${(r.loopPhase / 1000).toFixed(2)} s | ${perSecond(r.n, r.loopPhase)} | ${(r.runnerPhase / 1000).toFixed(2)} s | ${perSecond(r.n, r.runnerPhase)} | **${r.phaseRatio.toFixed(3)}×** | ${verdict(r)} | ${r.phaseRatios.map((x) => x.toFixed(2)).join(', ')} | ${r.cpuRatio.toFixed(3)}× | ${(r.loopWhole / 1000).toFixed(2)} s | ${(r.runnerWhole / 1000).toFixed(2)} s | ${r.wholeRatio.toFixed(3)}× | ${r.load.toFixed(1)} | ${r.lineSeconds.toFixed(0)} s |`,
    ),
    '',
    'What each side sends per batch (counted by test/drivers/batch-round-trips.test.ts; OWN = the keyset read and the update, the same',
    'statements on both sides):',
    '',
    "| driver | hand-written loop | runner | runner statements beyond OWN (loop's) |",
    '| --- | --- | --- | --- |',
    '| SQLite | BEGIN IMMEDIATE, OWN ×2, COMMIT (statements prepared once) | BEGIN IMMEDIATE, OWN ×2, the checkpoint carrying the fence (the first batch an upsert `INSERT … SELECT … WHERE EXISTS` the lock row, each later one an `UPDATE … WHERE` key `AND EXISTS` the lock row), COMMIT (each prepared once per connection) | 3 (2): in-process calls, no round trips |',
    '| PostgreSQL | BEGIN, OWN ×2, COMMIT | BEGIN, OWN ×2, `EXECUTE checkpoint upsert; COMMIT` (one simple query; the upsert PREPAREd once per session) | 2 (2) |',
    "| MariaDB | START TRANSACTION, OWN ×2, COMMIT | OWN ×2, checkpoint upsert, `COMMIT AND CHAIN` (which opens the next batch's transaction; the first batch starts with START TRANSACTION) | 2 (2) |",
    '| FerretDB (no transactions) | OWN: find, then updates of ≤ 99 statements | the same, then one checkpoint `update` (fenced by the lease) | 1 (0) |',
    '',
    "The runner also sends, once per unit, the checkpoint store's set-up and read and the estimate (`count(*)` / `countDocuments`),",
    'and with the last batch the history entry; on FerretDB the in-progress marker before the first batch and the checkpoint marked',
    'done after the entry. Both sides use the same settings: SQLite WAL with `synchronous = NORMAL` (what the driver sets on a file',
    "it opens), PostgreSQL and MariaDB the server's defaults on one connection each.",
    '',
    'FerretDB gets 1,000 documents and batch sizes 100 and 1,000 only: FerretDB 1.24 on SQLite scans the whole collection',
    'for every keyset read and for every updated document (its _id index is on `_ferretdb_sjson->"_id"`, its queries say',
    "`_ferretdb_sjson->'$._id'`), so the cost per document grows with the collection: a pass is O(N²) — measured 133 ms per updated",
    'document at 10,000 documents and 626 ms at 50,000 (load 13), 16 ms at 1,000 (load 23; `updateMany` with `$in` costs the same).',
    'Up to about 1,000 documents a pass is still short enough to repeat; a batch of 10,000 needs at least 10,000 documents, about',
    '20 minutes per pass, so that cell is not measured (a range `updateMany` by `_id` instead of updates by `_id` does not help: 11',
    'batches over 1,000 documents took 10.5 s of updates, load 11, 2026-12-01). Its rates are what FerretDB costs; its ratio is still',
    'the runner against the same loop on the same server.',
    '',
    ...failures.map((failure) => `Not measured: ${fixtures[failure.driver].label}: ${failure.message}`),
    '',
  ];
  writeFileSync(resolve(here, OUT), lines.join('\n'));
}
console.log(`wrote ${resolve(here, OUT)}`);
