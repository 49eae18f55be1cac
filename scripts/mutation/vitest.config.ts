import { configDefaults, defineConfig } from 'vitest/config';
import { SLOW } from '../../vitest.config.ts';

/**
 * The tests a mutant must fail: the unit project of vitest.config.ts (unit, function, contract and
 * security tests, against DynamoDB Local), as one plain project, since Stryker's vitest runner runs
 * one. The slow project (synthesis, processes, a browser) is left out: it tests the stack and the
 * scripts, not the security modules, and costs minutes per run.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    globalSetup: ['test/support/global-setup.ts'],
    // MUTATION_TESTS=<glob,glob> narrows the tests, for a quick look at one module while working on
    // it (a module's score is only what the whole unit project makes it).
    include: process.env.MUTATION_TESTS?.split(',') ?? ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...SLOW],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  },
});
