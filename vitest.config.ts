import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Builds dist/ and the oclif manifest once, so command tests run the real CLI.
    globalSetup: ['test/global-setup.ts'],
    // CI sets CI=true, and Ink then renders only a final frame; the dashboard tests drive a live
    // terminal, so tests run as on a developer's machine. (serve itself logs lines when CI is set.)
    env: { CI: '0', CONTINUOUS_INTEGRATION: '0' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Gateway tests start real child processes and sockets; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
