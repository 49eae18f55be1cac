/** Section 7: the deployed bundle on an AWS-like network: TLS and a few ms each way. */
import { Agent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS } from '#lib/settings.ts';
import { DEMO_USER } from '#scripts/local/tables.ts';
import { type Bundles, COLD_COMPARE, type Measured, runFresh, type Variant, writeEvents } from './bundles.ts';
import { type BenchEnv, bundleEnvironment, LOGIN_BODY, loginEventFor, oneWrite, runtimeReads } from './login-events.ts';
import { COLD_STARTS, compare, compareTime, LATENCY_MS, median, ms, ROUNDS, verdict, WARM_EVENTS } from './measure.ts';
import { createThrowawayCertificate, startTlsProxy } from './tls-proxy.ts';

/**
 * The deployed bundle behind a TLS-terminating proxy with LATENCY_MS each way, in front of
 * DynamoDB Local and the Secrets Manager stand-in: the handshakes and round trips loopback hides.
 */
export const awsLikeNetwork = async (
  bundles: Bundles,
  env: BenchEnv,
  dynamoDbEndpoint: string,
  secretsEndpoint: string,
  ownCpuMs: number,
): Promise<void> => {
  const certificate = await createThrowawayCertificate();
  const dynamoDb = await startTlsProxy(dynamoDbEndpoint, certificate, LATENCY_MS);
  const secrets = await startTlsProxy(secretsEndpoint, certificate, LATENCY_MS);
  try {
    const logins = writeEvents(bundles.outdir, 'logins', Array(1 + WARM_EVENTS).fill(loginEventFor(LOGIN_BODY)));
    const variants: Variant[] = [
      { name: 'login bundle, AWS-like network', dir: bundles.deployed, events: logins, status: 200 },
      { name: 'first compare', script: COLD_COMPARE, env: { COST: String(DEFAULTS.bcryptCost) } },
    ];
    const base = {
      PATH: process.env.PATH ?? '',
      ...bundleEnvironment(env, { dynamoDb: dynamoDb.endpoint, secretsManager: secrets.endpoint }),
      NODE_EXTRA_CA_CERTS: certificate.caFile,
    };
    const rounds = Math.max(3, Math.ceil(COLD_STARTS / 2));
    dynamoDb.takeOperations();
    const [login, coldCompareRuns] = (await runFresh(variants, base, rounds)) as [Measured, Measured];
    const operations = Object.entries(dynamoDb.takeOperations()).map(
      ([name, count]) => `${name} ${(count / (rounds * (1 + WARM_EVENTS))).toFixed(2)}`,
    );

    // The same round trips from this process, on a warm connection through the same proxy.
    const viaProxy = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: dynamoDb.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        requestHandler: { httpsAgent: new Agent({ ca: certificate.ca, keepAlive: true }) },
      }),
    );
    const reads = await compare(
      () => runtimeReads(viaProxy, env),
      () => oneWrite(viaProxy, env),
      ROUNDS,
    );
    viaProxy.destroy();
    const compareMs = await compareTime(DEFAULTS.bcryptCost, 11, DEMO_USER.password);

    const coldCompare = median(coldCompareRuns.script);
    const beyondCold = median(login.first) - coldCompare;
    // What a cold start cannot avoid on this network: a new connection (TCP, then TLS 1.3: two
    // round trips) and one request, with the secrets and DynamoDB in parallel.
    const coldNetwork = 3 * 2 * LATENCY_MS;
    const warm = median(login.warm);
    const explained = compareMs + reads.a + ownCpuMs;
    console.log(
      `7. AWS-like network (TLS proxy, ${LATENCY_MS} ms added each way, trusted via NODE_EXTRA_CA_CERTS; ` +
        `${rounds} fresh processes, ${WARM_EVENTS} warm logins each)`,
    );
    console.log(
      `   cold first login after the import: ${ms(median(login.first))} = first compare ${ms(coldCompare)} + ${ms(beyondCold)} ` +
        `(goal <= 15 ms + a new connection and one request, 3 round trips = ${ms(15 + coldNetwork)}: ${verdict(beyondCold <= 15 + coldNetwork)})`,
    );
    console.log(
      `   warm login: ${ms(warm)} = bcrypt ${ms(compareMs)} + one round trip (the reads, in parallel) ${ms(reads.a)} ` +
        `+ our CPU ${ms(ownCpuMs)} (section 1) + ${ms(warm - explained)} unexplained ` +
        `(goal: unexplained <= one write ${ms(reads.b)} per write a login makes, and >= 0 within noise: ` +
        `${verdict(warm - explained <= Math.max(1, reads.b * writesPerLogin(operations)))})`,
    );
    console.log(`   DynamoDB operations per login through the proxy (warm-up included): ${operations.join(', ')}`);
  } finally {
    dynamoDb.close();
    secrets.close();
  }
};

/** Writes per login among the counted operations ("Name count"). */
const writesPerLogin = (operations: string[]): number =>
  operations
    .filter((entry) => /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems)\b/.test(entry))
    .reduce((sum, entry) => sum + Number(entry.split(' ')[1]), 0);
