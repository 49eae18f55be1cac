/**
 * Stryker on one group of the security modules (MUTATION_GROUP); `npm run mutation` runs every
 * group in turn (scripts/mutation.ts; docs/testing.md says when to run it and how to read the
 * report). Not part of `npm test`: a run from scratch takes tens of minutes on two cores.
 * Incremental: a rerun tests only the mutants whose code or covering tests changed since the last
 * run (reports/mutation/<group>/incremental.json, kept out of git), so it takes minutes after a
 * small change. `npm run mutation -- sessions --mutate lib/sessions/refresh-token.ts` narrows a run
 * to one module of a group.
 */

import GROUPS from './groups.json' with { type: 'json' };

/*
 * groups.json: the security modules, each held to at least 90% (scripts/mutation/score.ts), in
 * groups, each group's modules against the tests of its own area (its unit tests, its handlers'
 * tests, and the security tests where they reach it). A mutant runs only the tests that cover it,
 * but every test file it runs pays its setup again (tables, users): a test elsewhere that merely
 * passes through a module would cost each of its mutants that setup and pin nothing of it. So a
 * module's score is what its own area's tests make it: a floor of what the whole suite would.
 */

/** A group's tests as vitest globs: the files named, and every test file under the folders named. */
const testGlobs = (group) => group.tests.map((path) => (path.endsWith('.test.ts') ? path : `${path}/**/*.test.ts`));

/** The group this run is for (scripts/mutation.ts sets MUTATION_GROUP): its modules, its reports. */
const name = process.env.MUTATION_GROUP ?? 'login';
const group = GROUPS[name];
if (!group) throw new Error(`MUTATION_GROUP must be one of ${Object.keys(GROUPS).join(', ')}`);
const reports = `reports/mutation/${name}`;
// The test runner's processes read the globs from the environment (scripts/mutation/vitest.config.ts).
process.env.MUTATION_TESTS ??= testGlobs(group).join(',');

/** Stryker options (https://stryker-mutator.io/docs/stryker-js/configuration). */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'scripts/mutation/vitest.config.ts', related: true },
  coverageAnalysis: 'perTest',
  // A mutant in module-level code (a constant, a pattern) runs only when the module loads: every
  // test would have to run again for each. The score counts the rest, as the issue measured.
  ignoreStatic: true,
  mutate: group.mutate,
  incremental: true,
  incrementalFile: `${reports}/incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${reports}/index.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
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
