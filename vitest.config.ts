import { defineConfig } from 'vitest/config';

// GPU tests share two CPU cores with the software driver: run files in forked processes, a few at a time,
// with generous timeouts (lavapipe compiles each pipeline on the CPU).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
