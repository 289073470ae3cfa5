import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Fuzz and end-to-end tests spawn processes; two cores are all CI has.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
