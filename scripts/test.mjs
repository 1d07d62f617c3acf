#!/usr/bin/env node
// The whole test suite, on a fresh machine: start the real database servers and install the
// browser of the dashboard tests (both idempotent), check that package-lock.json is one `npm ci`
// accepts, lint, typecheck and check the import layers (scripts/check-layers.mjs), build the
// package (the CLI, ESM/CommonJS and process tests use the built output), then run every test
// file. Extra arguments go to vitest, e.g. `npm test -- test/unit`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\n${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
};

if (process.env.MONGOCK_SKIP_SERVERS !== '1') run('bash', ['scripts/test-servers.sh', 'up']);
run('bash', ['scripts/browser.sh']);
run('node', ['scripts/check-lockfile.mjs']);
run('npx', ['biome', 'check', '.']);
run('npx', ['tsc', '--noEmit', '-p', '.']);
run('node', ['scripts/check-layers.mjs']);
run('npm', ['run', '--silent', 'build']);
run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
