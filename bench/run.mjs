#!/usr/bin/env node
// `npm run bench`: what users pay, measured as whole processes (wall time and peak RSS), with
// change units as files in a scan path (and the in-memory case as a second line), on every
// driver, next to the peers run by the same script on the same servers, alternating, so that a
// ratio is taken within one round and the median of those ratios is reported. Writes
// bench/RESULTS.md. Servers: `bash scripts/test-servers.sh up` (override with MONGOCK_BENCH_*_URL).
// `--quick`: fewer rounds and no 10,000 scale (a smoke run). MONGOCK_BENCH_STARTUP_ROUNDS,
// MONGOCK_BENCH_APPLY_ROUNDS, MONGOCK_BENCH_SCALE_ROUNDS, MONGOCK_BENCH_UNITS and
// MONGOCK_BENCH_SCALE (e.g. `10,100,1000`) override the defaults (9, 3, 3, 1000, 10 to 10,000);
// MONGOCK_BENCH_DBS (`sqlite,postgres,mongodb,mysql`) and MONGOCK_BENCH_SECTIONS
// (`startup,apply,scale`) limit what runs. RESULTS.md is rewritten after each section, marked
// partial until the run ends. Not part of `npm test`. Parts of a run may go side by side:
// MONGOCK_BENCH_TAG names a part (its databases, work folder and clean-up are its own) and
// MONGOCK_BENCH_OUT its results file (a path relative to bench/ or absolute; the README is quoted only by a run writing RESULTS.md).
// A run that fails (a peer's catalogue query meeting a schema another test dropped, on a shared
// server) is retried up to twice, its database set up again; retries are counted in the file.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const quick = process.argv.includes('--quick');
if (!existsSync(join(root, 'dist', 'index.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

const POSTGRES = process.env.MONGOCK_BENCH_POSTGRES_URL ?? 'postgres://mongock:mongock@127.0.0.1:54329/mongock_test';
const MONGODB = process.env.MONGOCK_BENCH_MONGODB_URL ?? 'mongodb://127.0.0.1:27027/';
const MYSQL = process.env.MONGOCK_BENCH_MYSQL_URL ?? 'mysql://mongock:mongock@127.0.0.1:33069/mongock_test';
const env = process.env;
const STARTUP_ROUNDS = Number(env.MONGOCK_BENCH_STARTUP_ROUNDS ?? (quick ? 3 : 9));
const APPLY_ROUNDS = Number(env.MONGOCK_BENCH_APPLY_ROUNDS ?? (quick ? 1 : 3));
const N = Number(env.MONGOCK_BENCH_UNITS ?? 1000);
const SCALE = env.MONGOCK_BENCH_SCALE?.split(',').map(Number) ?? (quick ? [10, 100] : [10, 100, 1000, 10_000]);
// 10,000 units take minutes per run on a shared machine: one round from 1,000 up.
const SCALE_ROUNDS = (n) => (n >= 1000 ? 1 : Number(env.MONGOCK_BENCH_SCALE_ROUNDS ?? (quick ? 1 : 3)));
const SECTIONS = new Set(env.MONGOCK_BENCH_SECTIONS?.split(',') ?? ['startup', 'apply', 'scale']);

const TAG = env.MONGOCK_BENCH_TAG ?? '';
const PREFIX = `bench_${TAG === '' ? '' : `${TAG}_`}`;
const OUT = env.MONGOCK_BENCH_OUT ?? 'RESULTS.md';
const work = join(here, TAG === '' ? '.work' : `.work-${TAG}`);
let retries = 0;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const loadAtStart = loadavg();
const started = Date.now();

// ---------------------------------------------------------------- fixtures (unit files)

const pad = (i) => String(i).padStart(5, '0');
const fixtures = new Map();
/** A folder of `n` no-op units in one tool's format; written once. */
function units(kind, n) {
  const key = `${kind}-${n}`;
  if (fixtures.has(key)) return fixtures.get(key);
  // Peers' files are CommonJS (as their docs write them); ours are ES modules (.mjs) or TypeScript.
  const dir = ['mjs', 'ts', 'memory'].includes(kind) ? join(work, 'units', key) : join(work, 'cjs', key);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(work, 'cjs'), { recursive: true });
  if (!existsSync(join(work, 'cjs', 'package.json'))) writeFileSync(join(work, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
  const ids = Array.from({ length: n }, (_, i) => pad(i + 1));
  if (kind === 'memory') {
    writeFileSync(
      join(dir, 'units.mjs'),
      `import { defineChangeUnit } from 'mongock';\nexport const units = Array.from({ length: ${n} }, (_, i) => defineChangeUnit({ id: \`unit-\${String(i + 1).padStart(5, '0')}\`, order: String(i + 1).padStart(5, '0'), author: 'bench', execute() {}, rollback() {} }));\n`,
    );
  }
  for (const id of kind === 'memory' ? [] : ids) {
    const file = {
      mjs: [
        `${id}_unit.mjs`,
        `import { defineChangeUnit } from 'mongock';\n\nexport default defineChangeUnit({\n  id: 'unit-${id}',\n  order: '${id}',\n  author: 'bench',\n  async execute() {},\n  async rollback() {},\n});\n`,
      ],
      ts: [
        `${id}_unit.ts`,
        `import { defineChangeUnit } from 'mongock';\n\nexport default defineChangeUnit({\n  id: 'unit-${id}',\n  order: '${id}',\n  author: 'bench',\n  async execute(): Promise<void> {},\n  async rollback(): Promise<void> {},\n});\n`,
      ],
      knex: [`${id}_unit.js`, 'exports.up = async function (knex) {};\nexports.down = async function (knex) {};\n'],
      kysely: [`${id}_unit.js`, 'exports.up = async function (db) {};\nexports.down = async function (db) {};\n'],
      'node-pg-migrate': [`${id}_unit.js`, 'exports.up = (pgm) => {};\nexports.down = (pgm) => {};\n'],
      'migrate-mongo': [`${id}-unit.js`, 'module.exports = {\n  async up(db, client) {},\n  async down(db, client) {},\n};\n'],
      umzug: [`${id}_unit.js`, 'exports.up = async ({ context }) => {};\nexports.down = async ({ context }) => {};\n'],
      'mongo-migrate-ts': [
        `${id}_unit.js`,
        `class Unit${id}_${String(1_700_000_000_000 + Number(id))} {\n  async up(db, client) {}\n  async down(db, client) {}\n}\nmodule.exports = { Unit${id}_${String(1_700_000_000_000 + Number(id))} };\n`,
      ],
    }[kind];
    writeFileSync(join(dir, file[0]), file[1]);
  }
  fixtures.set(key, dir);
  return dir;
}

// ---------------------------------------------------------------- databases (untimed set-up)

const { default: pg } = await import('pg');
const { MongoClient } = await import('mongodb');
const mysql = await import('mysql2/promise');
const pgAdmin = new pg.Client({ connectionString: POSTGRES });
await pgAdmin.connect();
const mongoAdmin = new MongoClient(MONGODB);
const mysqlAdmin = await mysql.createConnection(MYSQL);

const withSchema = (schema) => `${POSTGRES}${POSTGRES.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const targets = {
  postgres: (name) => ({ url: withSchema(name), schema: name }),
  mongodb: (name) => ({ url: MONGODB, database: name }),
  sqlite: (name) => ({ file: join(work, `${name}.db`) }),
  mysql: (name) => ({ url: MYSQL, historyTable: `${name}_change_log`, lockTable: `${name}_lock` }),
};
async function reset(db, name) {
  if (db === 'postgres') await pgAdmin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`);
  else if (db === 'mongodb') await mongoAdmin.db(name).dropDatabase();
  else if (db === 'sqlite') for (const suffix of ['', '-wal', '-shm']) rmSync(join(work, `${name}.db${suffix}`), { force: true });
  else await mysqlAdmin.query(`DROP TABLE IF EXISTS ${name}_change_log, ${name}_lock`);
}

// ---------------------------------------------------------------- measuring

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** One whole process: wall time from spawn to exit, and the peak RSS it reports; a failed run is set up (`before`) and run again, twice at most. */
async function measure(job, before, attempt = 1) {
  const begin = performance.now();
  const child = spawnSync(process.execPath, [join(here, 'scenario.mjs'), JSON.stringify(job)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = performance.now() - begin;
  if (child.status !== 0 && attempt < 3) {
    retries++;
    process.stderr.write(`${job.tool} ${job.mode} on ${job.db} failed (${child.status}), retrying:\n${child.stderr.split('\n').slice(0, 6).join('\n')}\n`);
    await before?.();
    return measure(job, before, attempt + 1);
  }
  if (child.status !== 0) throw new Error(`${job.tool} ${job.mode} on ${job.db} failed (${child.status}):\n${child.stderr}`);
  const { rss } = JSON.parse(child.stdout.trim().split('\n').pop());
  return { wall, rss: rss / 1024 };
}

/** A line of a table: a job, how to set its database up before each run, and its measurements. */
function line(label, job, before) {
  return { label, job, before, runs: [] };
}

/** Runs the lines alternately, `rounds` times, rotating who goes first. */
async function alternate(lines, rounds) {
  // Warm-up of start-up lines (file cache); an apply line's first round warms its own files.
  for (const l of lines) if (l.before === undefined) await measure(l.job);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < lines.length; k++) {
      const l = lines[(round + k) % lines.length];
      await l.before?.();
      l.runs[round] = await measure(l.job, l.before);
    }
  }
  return lines;
}

/** The median over rounds of a / b, each pair measured in the same round. */
function ratio(a, b) {
  return median(a.runs.map((run, i) => run.wall / b.runs[i].wall));
}

const ms = (value) => `${Math.round(value).toLocaleString('en-US')} ms`;
const mb = (value) => `${value.toFixed(0)} MB`;
const x = (value) => `${value.toFixed(2)}×`;

// ---------------------------------------------------------------- scenarios

const SERVER = {
  sqlite: 'SQLite (better-sqlite3, a file on local disk, WAL)',
  postgres: 'PostgreSQL 15 (fsync on)',
  mongodb: 'MongoDB wire: FerretDB 1.24 on SQLite (standalone, no transactions)',
  mysql: 'MariaDB',
};

const PEERS = { postgres: ['knex', 'kysely', 'node-pg-migrate'], mongodb: ['migrate-mongo', 'umzug', 'mongo-migrate-ts'], sqlite: [], mysql: [] };
const DBS = env.MONGOCK_BENCH_DBS?.split(',') ?? ['sqlite', 'postgres', 'mongodb', 'mysql'];

/** Applies every unit with `tool` once (untimed) so that a start-up has nothing pending. */
async function applied(db, tool, kind, n, name) {
  await reset(db, name);
  await measure({ tool, mode: 'apply', db, target: targets[db](name), dir: units(kind, n), n, variant: kind }, () => reset(db, name));
}

const startupTables = [];
const applyTables = [];
const scale = [];
for (const db of SECTIONS.has('startup') ? DBS : []) {
  const name = (tool) => `${PREFIX}s_${tool.replaceAll('-', '_')}_${N}`;
  await applied(db, 'mongock', 'mjs', N, name('mongock'));
  await applied(db, 'mongock', 'ts', N, name('mongock_ts'));
  await applied(db, 'mongock', 'memory', N, name('mongock_memory'));
  for (const peer of PEERS[db]) await applied(db, peer, peer, N, name(peer));
  const lines = [
    line('baseline: connect + read the history', { tool: 'baseline', mode: 'startup', db, target: targets[db](name('mongock')) }),
    line(`mongock, ${N.toLocaleString('en-US')} \`.mjs\` files`, {
      tool: 'mongock',
      mode: 'startup',
      db,
      target: targets[db](name('mongock')),
      dir: units('mjs', N),
      variant: 'mjs',
    }),
    line(`mongock, ${N.toLocaleString('en-US')} \`.ts\` files`, {
      tool: 'mongock',
      mode: 'startup',
      db,
      target: targets[db](name('mongock_ts')),
      dir: units('ts', N),
      variant: 'ts',
    }),
    line(`mongock, ${N.toLocaleString('en-US')} units in memory`, {
      tool: 'mongock',
      mode: 'startup',
      db,
      target: targets[db](name('mongock_memory')),
      dir: units('memory', N),
      variant: 'memory',
    }),
    ...PEERS[db].map((peer) => line(peer, { tool: peer, mode: 'startup', db, target: targets[db](name(peer)), dir: units(peer, N) })),
  ];
  startupTables.push({ db, lines: await alternate(lines, STARTUP_ROUNDS), load: loadavg()[0] });
  process.stderr.write(`start-up on ${db} measured\n`);
  report();
}

for (const db of SECTIONS.has('apply') ? DBS : []) {
  const target = (tool) => `${PREFIX}a_${tool.replaceAll('-', '_')}`;
  const job = (tool, extra = {}) => ({ tool, mode: 'apply', db, n: N, target: targets[db](target(tool + (extra.strategy ?? ''))), ...extra });
  const lines = [
    line(
      `mongock, ${N.toLocaleString('en-US')} \`.mjs\` files, a transaction per unit where the database has them`,
      job('mongock', { dir: units('mjs', N), variant: 'mjs' }),
      () => reset(db, target('mongock')),
    ),
  ];
  if (db === 'postgres') {
    lines.push(
      line("mongock, transactionStrategy 'execution' (one transaction)", job('mongock', { dir: units('mjs', N), variant: 'mjs', strategy: 'execution' }), () =>
        reset(db, target('mongockexecution')),
      ),
    );
  }
  for (const peer of PEERS[db]) lines.push(line(peer, job(peer, { dir: units(peer, N) }), () => reset(db, target(peer))));
  applyTables.push({ db, lines: await alternate(lines, APPLY_ROUNDS), load: loadavg()[0] });
  process.stderr.write(`apply on ${db} measured\n`);
  report();
}

for (const db of SECTIONS.has('scale') ? DBS : []) {
  for (const n of SCALE) {
    const rounds = SCALE_ROUNDS(n);
    const name = `${PREFIX}scale_${n}`;
    const apply = line('apply', { tool: 'mongock', mode: 'apply', db, n, target: targets[db](name), dir: units('mjs', n), variant: 'mjs' }, () =>
      reset(db, name),
    );
    await alternate([apply], rounds);
    // The last apply round left every unit applied: the start-up lines read that history.
    const startup = line('startup', { tool: 'mongock', mode: 'startup', db, target: targets[db](name), dir: units('mjs', n), variant: 'mjs' });
    const baseline = line('baseline', { tool: 'baseline', mode: 'startup', db, target: targets[db](name) });
    await alternate([startup, baseline], Math.max(rounds, 3));
    scale.push({ db, n, apply, startup, baseline, load: loadavg()[0] });
    report();
  }
  process.stderr.write(`scale on ${db} measured\n`);
}

// ---------------------------------------------------------------- clean up, report

for (const db of DBS) {
  if (db === 'postgres') {
    const { rows } = await pgAdmin.query('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)', [PREFIX]);
    for (const { nspname } of rows) await pgAdmin.query(`DROP SCHEMA ${nspname} CASCADE`);
  } else if (db === 'mongodb') {
    const { databases } = await mongoAdmin.db('admin').admin().listDatabases();
    for (const { name } of databases) if (name.startsWith(PREFIX)) await mongoAdmin.db(name).dropDatabase();
  } else if (db === 'mysql') {
    const [rows] = await mysqlAdmin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND LEFT(table_name, ?) = ?', [
      PREFIX.length,
      PREFIX,
    ]);
    for (const { t } of rows) await mysqlAdmin.query(`DROP TABLE \`${t}\``);
  }
}
await pgAdmin.end();
await mongoAdmin.close();
await mysqlAdmin.end();
rmSync(work, { recursive: true, force: true });
report(true);

/** One database's table of process lines: its heading, the load it was measured at, then a row per line (label, wall, then `cells`). */
function pushTable(out, { db, lines, load }, columns, cells) {
  out.push(
    `### ${SERVER[db]}`,
    '',
    `Load average (1 min) when measured: ${load.toFixed(1)}.`,
    '',
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
  );
  for (const l of lines) {
    const walls = l.runs.map((run) => run.wall);
    out.push(`| ${[l.label, `${ms(median(walls))} (${ms(Math.min(...walls))}–${ms(Math.max(...walls))})`, ...cells(l)].join(' | ')} |`);
  }
  out.push('');
}

/** Writes bench/RESULTS.md from what is measured so far (after each section), and at the end the README's quote. */
function report(done = false) {
  const loadAtEnd = loadavg();
  const out = [];
  out.push('# Benchmark results', '');
  out.push(
    `Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString()} in ${Math.round((Date.now() - started) / 1000)} s; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.`,
    `Load average (1, 5, 15 min) at the start: ${loadAtStart.map((v) => v.toFixed(2)).join(', ')}; ${done ? 'at the end' : 'when this file was last written'}: ${loadAtEnd.map((v) => v.toFixed(2)).join(', ')}. The machine is shared: read the ratios (both sides measured in the same round, alternating), not the absolute times.`,
    done ? '' : '**Partial: the run had not finished when this file was last written; the sections below are those measured so far.**',
    retries === 0 ? '' : `${retries} run(s) failed and were set up and run again (see the header of bench/run.mjs).`,
    '',
    'Every figure is a whole process (`node` start to exit): wall time, median of the rounds (min–max in brackets), and its peak RSS.',
    `A ratio is the median over rounds of the two wall times measured back to back in that round. Units are no-ops, ${N.toLocaleString('en-US')} of them as files in one folder, as users keep them; the peers are driven through their programmatic API with their documented file format.`,
    '',
  );
  if (startupTables.length > 0) out.push(`## Start-up with ${N.toLocaleString('en-US')} units applied, nothing pending (${STARTUP_ROUNDS} rounds)`, '');
  for (const table of startupTables) {
    const [base, ours] = table.lines;
    pushTable(out, table, ['process', 'wall', 'peak RSS', 'vs. baseline', 'vs. mongock (`.mjs`)'], (l) => [
      mb(median(l.runs.map((run) => run.rss))),
      l === base ? '' : x(ratio(l, base)),
      l === ours || l === base ? '' : x(ratio(l, ours)),
    ]);
  }
  if (applyTables.length > 0) out.push(`## Applying ${N.toLocaleString('en-US')} units to an empty database (${APPLY_ROUNDS} rounds)`, '');
  for (const table of applyTables) {
    const [ours] = table.lines;
    // The goals compare mongock with the peer (1.5× migrate-mongo, 'execution' 1.1× knex): each mongock line ÷ the peer, paired per round.
    const mine = table.lines.filter((l) => l.job.tool === 'mongock');
    pushTable(
      out,
      table,
      ['process', 'wall', 'per unit', 'peak RSS', 'vs. mongock (first line)', 'mongock ÷ this, paired (each mongock line, in order)'],
      (l) => [
        `${(median(l.runs.map((run) => run.wall)) / N).toFixed(2)} ms`,
        mb(median(l.runs.map((run) => run.rss))),
        l === ours ? '' : x(ratio(l, ours)),
        mine.includes(l) ? '' : mine.map((m) => x(ratio(m, l))).join(' / '),
      ],
    );
  }
  if (scale.length > 0) {
    out.push(`## Scale: mongock with ${SCALE.map((n) => n.toLocaleString('en-US')).join(', ')} \`.mjs\` unit files`, '');
    out.push(
      `Apply: ${SCALE_ROUNDS(SCALE[0])} round(s) below 1,000 units, 1 from 1,000 up; start-up and its baseline alternate (at least 3 rounds) on the history the last apply left.`,
      '',
      '| database | units | apply (wall) | apply per unit | apply peak RSS | start-up (wall) | baseline (wall) | start-up vs. baseline | start-up peak RSS | load |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const { db, n, apply, startup, baseline, load } of scale) {
      const w = (l) => median(l.runs.map((run) => run.wall));
      const r = (l) => median(l.runs.map((run) => run.rss));
      out.push(
        `| ${db} | ${n.toLocaleString('en-US')} | ${ms(w(apply))} | ${(w(apply) / n).toFixed(2)} ms | ${mb(r(apply))} | ${ms(w(startup))} | ${ms(w(baseline))} | ${x(ratio(startup, baseline))} | ${mb(r(startup))} | ${load.toFixed(1)} |`,
      );
    }
  }
  out.push('', 'Round trips per operation are not timed here: they are counted by `test/drivers/round-trips.test.ts` (see docs/performance.md).', '');
  writeFileSync(resolve(here, OUT), out.join('\n'));
  if (!done || OUT !== 'RESULTS.md') return;

  // The README quotes the headline figures: start-up vs. baseline and the best peer, apply vs. the best peer.
  const quote = [
    "| database | start-up, `.mjs` files, vs. baseline | peers' start-up vs. mongock | apply: mongock ÷ peer, paired (PostgreSQL: a transaction per unit / 'execution') |",
    '| --- | --- | --- | --- |',
  ];
  for (const { db, lines } of startupTables) {
    const [base, ours, ...rest] = lines;
    const peers = rest.slice(2);
    const best = (list, reference) => (list.length === 0 ? '' : list.map((l) => `${l.label} ${x(ratio(l, reference))}`).join(', '));
    const applyLines = applyTables.find((t) => t.db === db)?.lines ?? [];
    const mine = applyLines.filter((l) => l.job.tool === 'mongock');
    const applied = applyLines.filter((l) => !mine.includes(l)).map((p) => `${p.label} ${mine.map((m) => x(ratio(m, p))).join(' / ')}`);
    quote.push(`| ${SERVER[db]} | ${x(ratio(ours, base))} | ${best(peers, ours)} | ${applied.join(', ')} |`);
  }
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const block = `<!-- bench:start -->\n${quote.join('\n')}\n\n(${N.toLocaleString('en-US')} units; a ratio above 1 means slower than what it is compared with; ${new Date().toISOString().slice(0, 10)}, load average ${loadAtStart[0].toFixed(1)}.)\n<!-- bench:end -->`;
  writeFileSync(readmePath, readme.replace(/<!-- bench:start -->[\s\S]*?<!-- bench:end -->/, block));
  process.stdout.write(out.join('\n'));
}
