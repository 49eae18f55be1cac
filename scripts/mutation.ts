/**
 * `npm run mutation [-- <stryker options>]`: Stryker on the security modules
 * (scripts/mutation/stryker.config.mjs), then each module's score, failing when one is under 90%.
 * Not part of `npm test`; see docs/testing.md.
 */
import { spawnSync } from 'node:child_process';
import { printScores } from './mutation/score.ts';

const stryker = spawnSync(
  'node_modules/.bin/stryker',
  ['run', 'scripts/mutation/stryker.config.mjs', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
if (stryker.status !== 0) process.exit(stryker.status ?? 1);
console.log('\nMutation score per module (at least 90% each):');
process.exit(printScores('reports/mutation/mutation.json') ? 0 : 1);
