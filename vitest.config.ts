import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local (a JVM) serves every test file; each file makes its own table.
    globalSetup: ['test/support/global-setup.ts'],
    // bcrypt and synthesis are CPU-bound; the machine has two cores, often shared by several runs
    // (a synthesis took 45 s under that load).
    testTimeout: 90_000,
    // Quiet by default; tests about logs and metrics turn them on for themselves.
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    hookTimeout: 120_000,
  },
});
