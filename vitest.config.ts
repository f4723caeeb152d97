import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the container matrix has its own config and runner (test/integration/run.mjs)
    exclude: ['test/integration/**', 'node_modules/**'],
    testTimeout: 30000,
    hookTimeout: 120000,
  },
});
