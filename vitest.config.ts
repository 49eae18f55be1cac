import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that synthesize the stack or start processes (the bundles CDK produced, npm scripts, a
 * browser): a project of their own, so `npx vitest --project unit` answers in seconds.
 * `npm test` runs both.
 */
export const SLOW = [
  'test/infra/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/security/throttling-processes.test.ts',
  'test/security/end-all-sessions-processes.test.ts',
  'test/security/operators.test.ts',
  'test/scripts/local-start.test.ts',
  'test/scripts/readme.test.ts',
  'test/scripts/users.test.ts',
  'test/scripts/keys.test.ts',
];

export default defineConfig({
  test: {
    // One DynamoDB Local (a JVM) serves every test file of both projects; each file makes its own table.
    globalSetup: ['test/support/global-setup.ts'],
    // bcrypt and synthesis are CPU-bound; the machine has two cores, often shared by several runs
    // (a synthesis took 45 s under that load).
    testTimeout: 90_000,
    // Quiet by default; tests about logs and metrics turn them on for themselves.
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        // Runs first, while the slow project's synthesis works in a process of its own.
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SLOW],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: SLOW,
          // The default stack, bundles included, synthesized once per run for every file here.
          globalSetup: ['test/support/shared-synthesis.ts'],
          // A file's setup may wait for that synthesis, which takes minutes on a busy machine.
          hookTimeout: 300_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
