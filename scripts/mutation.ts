/**
 * `npm run mutation [-- <group>... <stryker options>]`: Stryker on each group of the security
 * modules in turn (every group unless some are named; scripts/mutation/stryker.config.mjs), then
 * each module's score, failing when one is under 90%. Not part of `npm test`; see docs/testing.md.
 */
import { spawnSync } from 'node:child_process';
import GROUPS from './mutation/groups.json' with { type: 'json' };
import { printScores } from './mutation/score.ts';

const args = process.argv.slice(2);
const named = args.filter((arg) => arg in GROUPS);
const options = args.filter((arg) => !(arg in GROUPS));
const groups = named.length ? named : Object.keys(GROUPS);

for (const group of groups) {
  console.log(`\nMutation testing: ${group}`);
  const stryker = spawnSync('node_modules/.bin/stryker', ['run', 'scripts/mutation/stryker.config.mjs', ...options], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: group },
  });
  if (stryker.status !== 0) process.exit(stryker.status ?? 1);
}
console.log('\nMutation score per module (at least 90% each):');
process.exit(printScores(groups.map((group) => `reports/mutation/${group}/mutation.json`)) ? 0 : 1);
