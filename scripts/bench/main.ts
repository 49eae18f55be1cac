/**
 * `npm run bench`: the numbers behind the README's Performance section. Medians over repeated
 * runs, measured alternately where two things are compared, so drift hits both alike; goals are
 * ratios or differences measured side by side in one run, because the machine is shared.
 * Not part of `npm test`: timings belong here, not in assertions. Each section is a file of this
 * folder; they print in order, 1 to 10.
 */
import { cpus } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createKeySet } from '#lib/tokens/key-set.ts';
import { startDynamoDbLocal } from '#scripts/local/dynamodb-local.ts';
import { ensureTables, LOCAL_TABLES, seedDemoUser } from '#scripts/local/tables.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { awsLikeNetwork } from './aws-like-network.ts';
import { buildBundles } from './bundles.ts';
import { coldStart } from './cold-start.ts';
import { hashCosts } from './hash-costs.ts';
import { bundleEnvironment, SECRET_ARNS } from './login-events.ts';
import { COLD_STARTS, compareTime, ms, ROUNDS } from './measure.ts';
import { passkeySignIn } from './passkeys.ts';
import { refreshFailures } from './refresh-failures.ts';
import { sessionCosts } from './sessions.ts';
import { throughput } from './throughput.ts';
import { enumeration, warmLogin } from './warm-login.ts';

/** BENCH_ONLY=1,2 runs only those sections. */
const ONLY = process.env.BENCH_ONLY?.split(',').map(Number);
const wanted = (section: number) => !ONLY || ONLY.includes(section);

const main = async (): Promise<void> => {
  const cost = DEFAULTS.bcryptCost;
  console.log(
    `# npm run bench: medians of ${ROUNDS} alternating runs (cold starts: ${COLD_STARTS} fresh processes); ` +
      `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, bcrypt cost ${cost}, ` +
      `DynamoDB Local on loopback, ${new Date().toISOString().slice(0, 10)}`,
  );

  const db = await startDynamoDbLocal({ port: 0 });
  try {
    const client = createDocumentClient({ endpoint: db.endpoint });
    await ensureTables(client, LOCAL_TABLES);
    await seedDemoUser(client, LOCAL_TABLES.users, cost);
    const keySet = await createKeySet();
    const env = {
      USERS_TABLE_NAME: LOCAL_TABLES.users,
      ATTEMPTS_TABLE_NAME: LOCAL_TABLES.attempts,
      DYNAMODB_ENDPOINT: db.endpoint,
      SIGNING_KEYS: JSON.stringify(keySet),
      IDENTIFIER_KEY: 'bench-identifier-key-0123456789abcdefghijklm',
      SESSIONS_TABLE_NAME: LOCAL_TABLES.sessions,
      PASSKEYS_TABLE_NAME: LOCAL_TABLES.passkeys,
      PASSKEY_CHALLENGES_TABLE_NAME: LOCAL_TABLES.passkeyChallenges,
      REFRESH_KEY: 'bench-refresh-key-0123456789abcdefghijklmnopq',
      TOKEN_ISSUER: 'http://127.0.0.1',
      // Enough failures for every round without throttling the benchmark itself.
      THROTTLE_MAX_FAILURES: '100',
    };
    const logger = new Logger({ logLevel: 'SILENT' });
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const telemetry = { logger, metrics: new Metrics({ namespace: 'Bench' }) };

    // 1. Everything we add on top of the one unavoidable bcrypt compare (section 7 uses our CPU).
    const ownCpuMs =
      wanted(1) || wanted(7) ? await warmLogin({ client, env, keySet, cost, telemetry }, wanted(1)) : Number.NaN;
    // 2. An unknown identifier must cost what a wrong password costs.
    if (wanted(2)) await enumeration({ env, telemetry });

    // The deployed bundle reads its secrets from Secrets Manager's protocol, as in AWS.
    const secrets = await startFakeSecretsManager({
      [SECRET_ARNS.signingKeys]: env.SIGNING_KEYS,
      [SECRET_ARNS.identifierKey]: env.IDENTIFIER_KEY,
      [SECRET_ARNS.refreshKey]: env.REFRESH_KEY,
    });
    try {
      const bundles = wanted(3) || wanted(7) ? await buildBundles() : undefined;
      // 3. Cold start of the bundle CDK produced, in fresh Node processes, against the floor.
      if (bundles && wanted(3)) {
        await coldStart(bundles, bundleEnvironment(env, { dynamoDb: db.endpoint, secretsManager: secrets.endpoint }));
      }

      // 4. What each bcrypt cost costs on this machine.
      let compareAtDefault = Number.NaN;
      if (wanted(4) || wanted(5)) {
        const costs: string[] = [];
        for (const c of [10, 11, 12, 13]) {
          const median = await compareTime(c, c >= 12 ? 5 : 11);
          if (c === cost) compareAtDefault = median;
          costs.push(`cost ${c}: ${ms(median)}`);
        }
        if (wanted(4)) console.log(`4. bcrypt.compare per cost: ${costs.join(', ')}`);
      }

      // 5. Throughput of `npm start` under load from another process's point of view.
      if (wanted(5)) await throughput(db.endpoint, compareAtDefault);

      // 6. Sessions: what a login pays for its session, and what a refresh costs.
      if (wanted(6)) await sessionCosts(client, env, telemetry);

      // 7. The same bundle on an AWS-like network: TLS and a few ms each way.
      if (bundles && wanted(7)) await awsLikeNetwork(bundles, env, db.endpoint, secrets.endpoint, ownCpuMs);
    } finally {
      secrets.close();
    }

    // 8. A failed login costs the same whatever the stored hash's cost, right after a raise.
    if (wanted(8)) await hashCosts(client, env, telemetry);
    // 9. A failed refresh costs the same whatever the cause.
    if (wanted(9)) await refreshFailures(client, env, telemetry);
    // 10. A passkey sign-in: no bcrypt.
    if (wanted(10)) await passkeySignIn(client, env, telemetry);
    client.destroy();
  } finally {
    await db.stop();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
