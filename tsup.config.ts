import { existsSync } from 'node:fs';
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
    testkit: 'src/drivers/testkit/index.ts',
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
  external: ['better-sqlite3', 'mongodb', 'mongoose', 'pg', 'mysql2', 'tsx', 'vitest', /^@nestjs\//, 'reflect-metadata', 'rxjs'],
});
