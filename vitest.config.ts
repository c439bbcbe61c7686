import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src-main/**/*.test.ts',
      'src-shared/**/*.test.ts',
      'src-renderer/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    // bounds for a hung test, not a speed requirement: the integration tests run real models and
    // must pass on a loaded machine (two CPU burners beside the suite: scripts/test-under-load.sh;
    // at load 17 on 2 cores the voiceprint CLI test took over 120 s)
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
