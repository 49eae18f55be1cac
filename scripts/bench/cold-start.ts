/** Section 3: cold starts of the bundle CDK produced, in fresh Node processes, against the floor. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS } from '#lib/settings.ts';
import { DEMO_USER } from '#scripts/local/tables.ts';
import { type Bundles, COLD_COMPARE, type Measured, runFresh, type Variant, writeEvents } from './bundles.ts';
import { LOGIN_BODY, loginEventFor } from './login-events.ts';
import { COLD_STARTS, kb, median, ms, verdict } from './measure.ts';

/**
 * Fresh processes: the login bundle against the floor bundle (size, import, first login), and
 * against the alternatives its bundling options were chosen over.
 */
export const coldStart = async (bundles: Bundles, env: Record<string, string>): Promise<void> => {
  const { outdir, deployed, floor, external } = bundles;
  const size = (dir: string) => statSync(join(dir, 'index.mjs')).size;
  const login = writeEvents(outdir, 'login', [loginEventFor(LOGIN_BODY)]);
  const badInput = writeEvents(outdir, 'bad-input', [loginEventFor({ emailOrUsername: DEMO_USER.username })]);
  const none = writeEvents(outdir, 'none', []);
  const variants: Variant[] = [
    { name: 'empty node' },
    { name: 'floor bundle, import only', dir: floor, events: none },
    { name: 'login bundle, first event a login', dir: deployed, events: login, status: 200 },
    {
      name: 'first bcrypt.compare of a fresh process',
      script: COLD_COMPARE,
      env: { COST: String(DEFAULTS.bcryptCost) },
    },
    { name: 'login bundle, first event bad input (no bcrypt)', dir: deployed, events: badInput, status: 400 },
    {
      name: 'login bundle with --enable-source-maps, login',
      dir: deployed,
      events: login,
      status: 200,
      options: '--enable-source-maps',
    },
    {
      name: `AWS SDK not bundled (${kb(size(external))} + the runtime's SDK), login`,
      dir: external,
      events: login,
      status: 200,
    },
  ];
  const base = { PATH: process.env.PATH ?? '', ...env };
  const measured = await runFresh(variants, base, COLD_STARTS);
  const at = (index: number) => measured[index] as Measured;

  const sizeRatio = size(deployed) / size(floor);
  const importRatio = median(at(2).init) / median(at(1).init);
  const coldCompare = median(at(3).script);
  const beyond = median(at(2).first) - coldCompare;
  console.log(
    `3. cold start (fresh processes; DynamoDB Local and the Secrets Manager stand-in on loopback): empty node ${ms(median(at(0).wall))}`,
  );
  console.log(
    `   bundle: login ${kb(size(deployed))} / floor ${kb(size(floor))} = ${sizeRatio.toFixed(3)} ` +
      `(goal <= 1.10: ${verdict(sizeRatio <= 1.1)}; + ${kb(statSync(join(deployed, 'index.mjs.map')).size)} source map, read only with --enable-source-maps)`,
  );
  console.log(
    `   import: login ${ms(median(at(2).init))} / floor ${ms(median(at(1).init))} = ${importRatio.toFixed(3)} ` +
      `(goal <= 1.03: ${verdict(importRatio <= 1.03)})`,
  );
  console.log(
    `   first login after the import: ${ms(median(at(2).first))} = first compare of a fresh process ${ms(coldCompare)} ` +
      `+ ${ms(beyond)} (goal <= 15 ms: ${verdict(beyond <= 15)})`,
  );
  const above = [...bundles.weights.login]
    .map(([name, bytes]) => [name, bytes - (bundles.weights.floor.get(name) ?? 0)] as const)
    .filter(([, bytes]) => bytes >= 512)
    .sort((a, b) => b[1] - a[1]);
  console.log(`   above the floor, by package: ${above.map(([name, bytes]) => `${name} ${kb(bytes)}`).join(', ')}`);
  for (const index of [4, 5, 6]) {
    const m = at(index);
    console.log(
      `   ${variants[index]?.name}: ${ms(median(m.wall))} fresh process to first answer ` +
        `(import ${ms(median(m.init))}, first answer ${ms(median(m.first))})`,
    );
  }
  console.log(`   login bundle, first event a login: ${ms(median(at(2).wall))} fresh process to first answer`);
};
