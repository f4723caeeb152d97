import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    // One gateway log per region is read around each request: run cases one after another.
    fileParallelism: false,
    testTimeout: 30000,
    hookTimeout: 60000,
  },
});
