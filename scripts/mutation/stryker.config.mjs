/**
 * `npm run mutation`: Stryker on the security modules (docs/testing.md says when to run it and how
 * to read the report). Not part of `npm test`: a full run takes tens of minutes on two cores.
 * Incremental: a rerun tests only the mutants whose code or covering tests changed since the last
 * run (reports/mutation/incremental.json, kept out of git), so it takes minutes after a small change.
 * `npm run mutation -- --mutate lib/sessions/refresh-token.ts` narrows a run to one module.
 */

/** The security modules, each held to at least 90% (scripts/mutation/score.ts). */
export const SECURITY_MODULES = [
  'lib/login/**/*.ts',
  'lib/sessions/**/*.ts',
  'lib/tokens/**/*.ts',
  'lib/users/passwords.ts',
  'lib/users/password-policy.ts',
  'lib/passkeys/**/*.ts',
  'lib/http/oauth.ts',
];

/** Stryker options (https://stryker-mutator.io/docs/stryker-js/configuration). */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'scripts/mutation/vitest.config.ts', related: true },
  coverageAnalysis: 'perTest',
  // A mutant in module-level code (a constant, a pattern) runs only when the module loads: every
  // test would have to run again for each. The score counts the rest, as the issue measured.
  ignoreStatic: true,
  mutate: SECURITY_MODULES,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false },
  concurrency: 2,
  timeoutMS: 30_000,
  // The first run of every test, with coverage, takes about 4 minutes on a quiet machine; Stryker's
  // 5-minute default gave up under load.
  dryRunTimeoutMinutes: 30,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};

export default config;
