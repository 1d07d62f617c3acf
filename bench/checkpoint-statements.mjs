#!/usr/bin/env node
// What the checkpoint statement alone costs, by form (issue 13: the checkpoint's overhead at 100 per
// batch). Not the runner: one connection, a hand-written batch (read 100 keys after the last, update
// them) in a transaction, with or without a checkpoint written the way a driver can write it:
//   - none:   the batch alone;
//   - upsert: the checkpoint as every batch wrote it before f849569 (SQLite: fenced `INSERT … SELECT
//             … WHERE EXISTS (lock row) ON CONFLICT … DO UPDATE`; MariaDB: `ON DUPLICATE KEY
//             UPDATE`; PostgreSQL: an `EXECUTE` of the prepared upsert sent with COMMIT);
//   - update: the row's progress columns by primary key (SQLite with the fence in its WHERE);
//   - PostgreSQL also `cte`: an UPDATE that falls back to the upsert in one statement.
// SQLite also on a `WITHOUT ROWID` table. Rounds alternate the forms' order; reported: the median
// per batch (wall, this process's CPU) and, on PostgreSQL, the mean CPU of the connection's own
// backend (/proc, when the server runs on this machine). Prints; writes no file.
// Environment: MONGOCK_BENCH_CKPT_DRIVERS (sqlite,postgres,mysql), MONGOCK_BENCH_CKPT_ROUNDS (31),
// MONGOCK_BENCH_TAG (a suffix for the schema/tables it makes and drops), the servers' URLs as in
// bench/batches.mjs.
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';

const env = process.env;
const DRIVERS = (env.MONGOCK_BENCH_CKPT_DRIVERS ?? 'sqlite,postgres,mysql').split(',');
const ROUNDS = Number(env.MONGOCK_BENCH_CKPT_ROUNDS ?? 31);
const TAG = (env.MONGOCK_BENCH_TAG ?? 'bench').replace(/\W/g, '_');
const ITEMS = 100_000;
const SIZE = 100;
// The checkpoint table's columns as src/drivers/shared/checkpoint-row.ts has them (not exported by the package).
const COLUMNS = [
  'change_id',
  'author',
  'direction',
  'execution_id',
  'last_key',
  'until_key',
  'batches',
  'processed',
  'estimated_total',
  'state',
  'started_at',
  'updated_at',
];
const UPDATED = COLUMNS.slice(2);

/** Values in COLUMNS order for batch `b` ending at key `last`. */
const values = (b, last, started, now) => ['c', 'a', 'execute', 'E', String(last), null, b, b * SIZE, ITEMS, 'running', started, now];
const median = (list) => list.slice().sort((a, b) => a - b)[list.length >> 1];
const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;
const push = (lists, key, value) => {
  lists[key] = [...(lists[key] ?? []), value];
};

/** Runs `chunk(form)` ROUNDS times per form, alternating the order; prints the medians. */
async function compare(name, forms, chunk) {
  const wall = {};
  const cpu = {};
  const server = {};
  const load = [loadavg()[0]];
  for (let round = 0; round < ROUNDS; round++) {
    for (const form of round % 2 ? forms.slice().reverse() : forms) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await chunk(form);
      const c = process.cpuUsage(c0);
      push(wall, form, ((performance.now() - t0) * 1000) / result.batches);
      push(cpu, form, (c.user + c.system) / result.batches);
      if (result.serverUs !== undefined) push(server, form, result.serverUs / result.batches);
    }
  }
  load.push(loadavg()[0]);
  console.log(`${name}: ${ROUNDS} alternating rounds, load ${load.map((l) => l.toFixed(1)).join(' → ')}`);
  for (const form of forms) {
    const line = [`  ${form.padEnd(14)} wall ${median(wall[form]).toFixed(1)} µs/batch`, `this process's CPU ${median(cpu[form]).toFixed(1)} µs/batch`];
    if (server[form] !== undefined) line.push(`backend CPU ${mean(server[form]).toFixed(0)} µs/batch (mean)`);
    // Per round, against the same round's upsert: the pairing that the machine's load cancels out of.
    if (form !== 'none')
      line.push(
        `÷ upsert per round: wall ${median(wall[form].map((v, i) => v / wall.upsert[i])).toFixed(3)}, CPU ${median(cpu[form].map((v, i) => v / cpu.upsert[i])).toFixed(3)}`,
      );
    console.log(line.join(', '));
  }
}

async function sqlite() {
  const fence = 'EXISTS (SELECT 1 FROM lock WHERE key = ? AND owner = ? AND fence = ?)';
  const open = (shape) => {
    const file = join(tmpdir(), `mongock-ckpt-${TAG}-${shape}.db`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec("CREATE TABLE lock (key TEXT PRIMARY KEY, owner TEXT, fence INTEGER); INSERT INTO lock VALUES ('L', 'me', 1)");
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)');
    db.exec(`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${ITEMS}) INSERT INTO items (id) SELECT i FROM g`);
    db.exec(`CREATE TABLE ck (change_id TEXT NOT NULL, author TEXT NOT NULL, direction TEXT NOT NULL, execution_id TEXT NOT NULL, last_key TEXT,
      until_key TEXT, batches INTEGER NOT NULL, processed INTEGER NOT NULL, estimated_total INTEGER, state TEXT NOT NULL, started_at TEXT NOT NULL,
      updated_at TEXT NOT NULL, PRIMARY KEY (change_id, author))${shape === 'norowid' ? ' WITHOUT ROWID' : ''}`);
    return {
      db,
      file,
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      read: db.prepare('SELECT id FROM items WHERE id > ? ORDER BY id LIMIT 100'),
      mark: db.prepare('UPDATE items SET n = n + 1 WHERE id IN (SELECT value FROM json_each(?))'),
      upsert: db.prepare(
        `INSERT INTO ck (${COLUMNS}) SELECT ${COLUMNS.map(() => '?')} WHERE ${fence} ON CONFLICT (change_id, author) DO UPDATE SET ${UPDATED.map((c) => `${c} = excluded.${c}`)}`,
      ),
      update: db.prepare(
        `UPDATE ck SET last_key = ?, batches = ?, processed = ?, state = ?, updated_at = ? WHERE change_id = ? AND author = ? AND direction IS ? AND execution_id IS ? AND until_key IS ? AND estimated_total IS ? AND started_at IS ? AND ${fence}`,
      ),
    };
  };
  const shapes = { rowid: open('rowid'), norowid: open('norowid') };
  const started = new Date().toISOString();
  for (const s of Object.values(shapes)) s.upsert.run(...values(0, 0, started, started), 'L', 'me', 1);
  let last = 0;
  let b = 0;
  await compare(
    'SQLite (better-sqlite3, WAL), 1,000 batches of 100 per round',
    ['none', 'upsert', 'update', 'upsert/norowid', 'update/norowid'],
    async (form) => {
      const [kind, shape = 'rowid'] = form.split('/');
      const s = shapes[shape];
      for (let i = 0; i < 1000; i++) {
        b += 1;
        s.begin.run();
        const ids = s.read.all(last % (ITEMS - SIZE)).map((row) => row.id);
        s.mark.run(JSON.stringify(ids));
        last = ids[ids.length - 1];
        const v = values(b, last, started, new Date().toISOString());
        if (kind === 'upsert' && s.upsert.run(...v, 'L', 'me', 1).changes !== 1) throw new Error('upsert wrote nothing');
        if (kind === 'update' && s.update.run(v[4], v[6], v[7], v[9], v[11], v[0], v[1], v[2], v[3], v[5], v[8], v[10], 'L', 'me', 1).changes !== 1)
          throw new Error('update matched nothing');
        s.commit.run();
      }
      return { batches: 1000 };
    },
  );
  for (const s of Object.values(shapes)) {
    s.db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(s.file + suffix, { force: true });
  }
}

async function postgres() {
  const client = new pg.Client(env.MONGOCK_BENCH_POSTGRES_URL ?? 'postgres://mongock:mongock@127.0.0.1:54329/mongock_test');
  await client.connect();
  const schema = `mongock_ckpt_${TAG}`;
  const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
  const backendUs = () => {
    try {
      const fields = readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      return undefined;
    }
  };
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  await client.query(
    `CREATE TABLE ${schema}.items (id int PRIMARY KEY, n int NOT NULL DEFAULT 0); INSERT INTO ${schema}.items (id) SELECT generate_series(1, ${ITEMS})`,
  );
  const ck = `${schema}.ck`;
  await client.query(`CREATE TABLE ${ck} (change_id text NOT NULL, author text NOT NULL, direction text NOT NULL, execution_id text NOT NULL, last_key text,
    until_key text, batches bigint NOT NULL, processed bigint NOT NULL, estimated_total bigint, state text NOT NULL, started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL, PRIMARY KEY (change_id, author))`);
  const p = COLUMNS.map((_, i) => `$${i + 1}`);
  const set = UPDATED.map((c) => `${c} = excluded.${c}`).join(', ');
  const where = `change_id = $1 AND author = $2 AND direction IS NOT DISTINCT FROM $3 AND execution_id IS NOT DISTINCT FROM $4 AND until_key IS NOT DISTINCT FROM $6 AND estimated_total IS NOT DISTINCT FROM $9 AND started_at IS NOT DISTINCT FROM $11`;
  const progress = 'last_key = $5, batches = $7, processed = $8, state = $10, updated_at = $12';
  const types = '(text, text, text, text, text, text, bigint, bigint, bigint, text, timestamptz, timestamptz)';
  const upsert = `INSERT INTO ${ck} (${COLUMNS}) VALUES (${p}) ON CONFLICT (change_id, author) DO UPDATE SET ${set}`;
  await client.query(`PREPARE upsert ${types} AS ${upsert}`);
  await client.query(`PREPARE update ${types} AS UPDATE ${ck} SET ${progress} WHERE ${where}`);
  await client.query(
    `PREPARE cte ${types} AS WITH u AS (UPDATE ${ck} SET ${progress} WHERE ${where} RETURNING 1) INSERT INTO ${ck} (${COLUMNS}) SELECT ${p} WHERE NOT EXISTS (SELECT 1 FROM u) ON CONFLICT (change_id, author) DO UPDATE SET ${set}`,
  );
  const literal = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  const started = new Date().toISOString();
  await client.query(`EXECUTE upsert(${values(0, 0, started, started).map(literal)})`);
  let last = 0;
  let b = 0;
  await compare('PostgreSQL (pg), 150 batches of 100 per round, the checkpoint sent with COMMIT', ['none', 'upsert', 'update', 'cte'], async (form) => {
    const s0 = backendUs();
    for (let i = 0; i < 150; i++) {
      b += 1;
      await client.query('BEGIN');
      const { rows: keys } = await client.query(`SELECT id FROM ${schema}.items WHERE id > $1 ORDER BY id LIMIT 100`, [last % (ITEMS - SIZE)]);
      const ids = keys.map((row) => row.id);
      last = ids[ids.length - 1];
      await client.query(`UPDATE ${schema}.items SET n = n + 1 WHERE id = ANY($1::int[])`, [ids]);
      const v = values(b, last, started, new Date().toISOString()).map(literal).join(', ');
      const results = await client.query(form === 'none' ? 'COMMIT' : `EXECUTE ${form}(${v});\nCOMMIT`);
      if ((form === 'upsert' || form === 'update') && results[0].rowCount !== 1) throw new Error(`${form} wrote nothing`);
    }
    const s1 = backendUs();
    return { batches: 150, serverUs: s0 === undefined || s1 === undefined ? undefined : s1 - s0 };
  });
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
}

async function mariadb() {
  const connection = await mysql.createConnection(env.MONGOCK_BENCH_MYSQL_URL ?? 'mysql://mongock:mongock@127.0.0.1:33069/mongock_test');
  const items = `mongock_ckpt_${TAG}_items`;
  const ck = `mongock_ckpt_${TAG}_ck`;
  await connection.query(`DROP TABLE IF EXISTS ${items}, ${ck}`);
  await connection.query(`CREATE TABLE ${items} (id int PRIMARY KEY, n int NOT NULL DEFAULT 0) ENGINE=InnoDB`);
  await connection.query(`INSERT INTO ${items} (id) SELECT seq FROM seq_1_to_${ITEMS}`);
  await connection.query(`CREATE TABLE ${ck} (change_id VARCHAR(255) NOT NULL, author VARCHAR(255) NOT NULL, direction VARCHAR(16) NOT NULL,
    execution_id VARCHAR(100) NOT NULL, last_key TEXT NULL, until_key TEXT NULL, batches BIGINT NOT NULL, processed BIGINT NOT NULL, estimated_total BIGINT NULL,
    state VARCHAR(16) NOT NULL, started_at DATETIME(3) NOT NULL, updated_at DATETIME(3) NOT NULL, PRIMARY KEY (change_id, author))
    ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  const upsert = `INSERT INTO ${ck} (${COLUMNS}) VALUES (${COLUMNS.map(() => '?')}) ON DUPLICATE KEY UPDATE ${UPDATED.map((c) => `${c} = ?`)}`;
  const update = `UPDATE ${ck} SET last_key = ?, batches = ?, processed = ?, state = ?, updated_at = ? WHERE change_id = ? AND author = ? AND direction <=> ? AND execution_id <=> ? AND until_key <=> ? AND estimated_total <=> ? AND started_at <=> ?`;
  const datetime = (date) => date.toISOString().slice(0, 23).replace('T', ' ');
  const started = datetime(new Date());
  const first = values(0, 0, started, started);
  await connection.query(upsert, [...first, ...first.slice(2)]);
  let last = 0;
  let b = 0;
  await compare('MariaDB (mysql2), 200 batches of 100 per round, COMMIT AND CHAIN', ['none', 'upsert', 'update'], async (form) => {
    await connection.query('START TRANSACTION');
    for (let i = 0; i < 200; i++) {
      b += 1;
      const [keys] = await connection.query(`SELECT id FROM ${items} WHERE id > ? ORDER BY id LIMIT 100`, [last % (ITEMS - SIZE)]);
      const ids = keys.map((row) => row.id);
      last = ids[ids.length - 1];
      await connection.query(`UPDATE ${items} SET n = n + 1 WHERE id IN (?)`, [ids]);
      const v = values(b, last, started, datetime(new Date()));
      if (form === 'upsert') await connection.query(upsert, [...v, ...v.slice(2)]);
      if (form === 'update') {
        const [header] = await connection.query(update, [v[4], v[6], v[7], v[9], v[11], v[0], v[1], v[2], v[3], v[5], v[8], v[10]]);
        if (header.affectedRows !== 1) throw new Error('update matched nothing');
      }
      await connection.query('COMMIT AND CHAIN');
    }
    await connection.query('COMMIT');
    return { batches: 200 };
  });
  await connection.query(`DROP TABLE ${items}, ${ck}`);
  await connection.end();
}

const RUNS = { sqlite, postgres, mysql: mariadb };
for (const driver of DRIVERS) await RUNS[driver]();
