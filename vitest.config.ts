import { defineConfig } from 'vitest/config';

// GPU tests share two CPU cores with the software driver: run files in forked processes, a few at a time,
// with generous timeouts (lavapipe compiles each pipeline on the CPU; a whole backbone forward on 2 shared cores can
// take minutes).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
