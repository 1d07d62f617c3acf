import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

// One entry per public subpath; drivers stay out of the core bundle so that their database
// clients are only loaded by the subpath that needs them.
export default defineConfig({
  entry: Object.fromEntries(
    Object.entries({
    index: 'src/index.ts',
    sqlite: 'src/drivers/sqlite/index.ts',
    mongodb: 'src/drivers/mongodb/index.ts',
    postgres: 'src/drivers/postgres/index.ts',
    mysql: 'src/drivers/mysql/index.ts',
    nestjs: 'src/nestjs/index.ts',
    dashboard: 'src/dashboard/index.ts',
    testkit: 'src/drivers/testkit/index.ts',
    driver: 'src/drivers/index.ts',
    cli: 'src/cli/index.ts',
    }).filter(([, file]) => existsSync(file)),
  ),
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  shims: true,
  splitting: true,
  // The dashboard's page, script and styles are files the handler serves, next to the bundles;
  // then the ES modules' shared chunks become one module (scripts/merge-chunks.mjs says why).
  onSuccess: async () => {
    cpSync('src/dashboard/assets', 'dist/dashboard-assets', { recursive: true });
    execFileSync(process.execPath, ['scripts/merge-chunks.mjs'], { stdio: 'inherit' });
  },
  external: ['@opentelemetry/api', 'better-sqlite3', 'mongodb', 'mongoose', 'pg', 'mysql2', 'tsx', 'vitest', /^@nestjs\//, 'reflect-metadata', 'rxjs'],
});
