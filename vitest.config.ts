import { defineConfig } from 'vitest/config';

// Two projects: `fast` (npm test) needs nothing but Node, git and python3; `slow` holds suites
// that start real services or run long (npm run test:all runs both).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'fast',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: ['test/**/*.slow.test.ts', 'test/fixtures/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'slow',
          include: ['test/**/*.slow.test.ts'],
          exclude: ['test/fixtures/**'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
