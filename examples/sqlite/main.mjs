// The example project: migrate ./app.db with the change units in ./migrations, print what ran.
// Run it twice: the second run applies nothing.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongockBuilder } from 'mongock';
import { sqliteDriver } from 'mongock/sqlite';

const here = dirname(fileURLToPath(import.meta.url));
const runner = new MongockBuilder()
  .setDriver(sqliteDriver({ filename: process.env.EXAMPLE_DB ?? join(here, 'app.db') }))
  .addMigrationScanPath(join(here, 'migrations'))
  .withMetadata({ example: 'sqlite' })
  .buildRunner();

const result = await runner.execute();
const applied = result.items.filter((item) => item.outcome === 'executed');
if (applied.length === 0) console.log('Nothing to apply: the database is up to date.');
for (const item of applied) console.log(`applied ${item.changeId} (${item.type === 'BEFORE_EXECUTION' ? 'before-step' : 'execution'}, ${item.durationMs} ms)`);
console.log(`status: ${result.status}; ${(await runner.status()).units.map((u) => `${u.changeId}=${u.state}`).join(', ')}`);
