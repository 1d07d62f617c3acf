// One start-up of a service whose 1,000 units are all applied: build the runner and execute().
import { performance } from 'node:perf_hooks';

const started = performance.now();
const { MongockBuilder, silentLogger } = await import('../dist/index.js');
const { sqliteDriver } = await import('../dist/sqlite.js');
const { units } = await import('./units.mjs');
const result = await new MongockBuilder()
  .setDriver(sqliteDriver({ filename: process.argv[2] }))
  .addChangeUnits(...units)
  .setLogger(silentLogger)
  .buildRunner()
  .execute();
if (result.status !== 'up-to-date') throw new Error(`expected nothing pending, got ${result.status}`);
process.stdout.write(`${performance.now() - started}\n`);
