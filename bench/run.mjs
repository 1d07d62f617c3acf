#!/usr/bin/env node
// Benchmarks, one run: (a) applying 1,000 no-op units on SQLite; (b) a start-up with those 1,000
// units applied and nothing pending, next to a baseline process that only opens the database and
// reads the history. Writes bench/RESULTS.md. Run with `npm run bench` (builds first if needed).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
if (!existsSync(join(root, 'dist', 'index.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

const { MongockBuilder, silentLogger } = await import('../dist/index.js');
const { sqliteDriver } = await import('../dist/sqlite.js');
const { units, UNIT_COUNT } = await import('./units.mjs');

const work = join(here, '.work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// (a) apply 1,000 units, three fresh files, median.
const applyRuns = [];
for (let run = 0; run < 3; run++) {
  const filename = join(work, `apply-${run}.db`);
  const runner = new MongockBuilder()
    .setDriver(sqliteDriver({ filename }))
    .addChangeUnits(...units)
    .setLogger(silentLogger)
    .buildRunner();
  const started = performance.now();
  const result = await runner.execute();
  applyRuns.push(performance.now() - started);
  if (result.executed !== UNIT_COUNT) throw new Error(`applied ${result.executed}, expected ${UNIT_COUNT}`);
}
const applyMs = median(applyRuns);

// (b) start-up with nothing pending vs. baseline, alternating, as separate processes.
const filename = join(work, 'apply-0.db');
const ROUNDS = 25;
const timeProcess = (script) => {
  const started = performance.now();
  const child = spawnSync(process.execPath, [join(here, script), filename], { encoding: 'utf8' });
  const wall = performance.now() - started;
  if (child.status !== 0) throw new Error(`${script} failed: ${child.stderr}`);
  return { wall, inside: Number(child.stdout.trim()) };
};
timeProcess('startup.mjs'); // warm the file cache
timeProcess('baseline.mjs');
const startup = [];
const baseline = [];
for (let i = 0; i < ROUNDS; i++) {
  startup.push(timeProcess('startup.mjs'));
  baseline.push(timeProcess('baseline.mjs'));
}
const startupWall = median(startup.map((s) => s.wall));
const baselineWall = median(baseline.map((s) => s.wall));
const startupInside = median(startup.map((s) => s.inside));
const baselineInside = median(baseline.map((s) => s.inside));
// Each round runs the two back to back; the median of the per-round ratios cancels most of the
// machine's drift between rounds (the figure the target is judged on).
const ratio = median(startup.map((s, i) => s.wall / baseline[i].wall));
const perUnit = applyMs / UNIT_COUNT;

const fmt = (n) => n.toFixed(1);
const results = `# Benchmark results

Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.
SQLite driver (better-sqlite3, WAL, synchronous=NORMAL), a file on local disk.

| measure | result | target | verdict |
| --- | --- | --- | --- |
| (a) apply ${UNIT_COUNT} no-op units, one transaction + history entry each (median of 3) | ${fmt(applyMs)} ms total, **${perUnit.toFixed(3)} ms per unit** | < 2 ms per unit | ${perUnit < 2 ? 'met' : 'MISSED'} |
| (b) start-up, ${UNIT_COUNT} units applied, nothing pending: whole process (median of ${ROUNDS}) | ${fmt(startupWall)} ms | ≤ 1.3 × baseline | ${ratio <= 1.3 ? 'met' : 'MISSED'} (${ratio.toFixed(2)}×, median of per-round ratios) |
| (b) baseline: a process that opens the database and reads the history (median of ${ROUNDS}) | ${fmt(baselineWall)} ms | | |
| (b) inside the process, from first import to result: runner vs. baseline | ${fmt(startupInside)} ms vs. ${fmt(baselineInside)} ms | | |

Round trips on the start-up path with nothing pending: open, one \`SELECT\` of the history, close.
No lock is taken, nothing is written, no pragma is set, and neither \`crypto\` nor the checksum
compiler is loaded (unchanged code is recognised by the raw part of its recorded checksum).
Per applied unit: \`BEGIN IMMEDIATE\`, \`SAVEPOINT\`, the unit's own statements, one history upsert,
one fenced lock-row update, \`RELEASE\`, \`COMMIT\`; the checksums of all pending units are computed
in one compiler call before the first unit runs.
`;
writeFileSync(join(here, 'RESULTS.md'), results);
rmSync(work, { recursive: true, force: true });
process.stdout.write(results);
