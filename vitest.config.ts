import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Driver suites share real servers; files run one at a time to keep timings honest on 2 cores.
    fileParallelism: false,
    reporters: ['default'],
  },
});
