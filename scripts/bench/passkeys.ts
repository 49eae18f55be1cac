/** Section 10: a passkey sign-in, warm, in process: no bcrypt, so what is left is ours and DynamoDB's. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createPasskeySignInHandler } from '#functions/passkey-sign-in/create-handler.ts';
import { createPasskeySignInHandlerDependencies } from '#functions/passkey-sign-in/dependencies.ts';
import { MAX_PASSKEYS_PER_USER, readPasskeySignInConfig } from '#lib/function-config.ts';
import { createDynamoDbPasskeyStore } from '#lib/passkeys/store.ts';
import { lambdaContext, toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { DEMO_USER } from '#scripts/local/tables.ts';
import { createSoftwareAuthenticator } from '#test/support/authenticator.ts';
import type { BenchEnv, DocumentClient } from './login-events.ts';
import { median, ms, percentile, ROUNDS } from './measure.ts';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:3000';

/**
 * The sign-in handler's latency for a valid assertion of the demo user's passkey (a device-bound
 * ES256 key made by the tests' software authenticator, stored as a registration would), each with
 * a fresh challenge from the options route (not timed), and the DynamoDB calls one sign-in makes.
 */
export const passkeySignIn = async (
  client: DocumentClient,
  env: BenchEnv,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
): Promise<void> => {
  // Room for every session the run starts, so no sign-in pays for ending the oldest.
  const passkeyEnv = { ...env, WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN, MAX_SESSIONS_PER_USER: '1000' };
  const handler = createPasskeySignInHandler(
    createPasskeySignInHandlerDependencies(readPasskeySignInConfig(passkeyEnv), { logger, metrics }),
  );
  const authenticator = createSoftwareAuthenticator();
  // Stored as a registration stores it: the registration route needs a bearer token, and only the sign-in is timed.
  await createDynamoDbPasskeyStore(client, env.PASSKEYS_TABLE_NAME ?? '').create(
    {
      id: authenticator.id,
      userId: DEMO_USER.id,
      name: 'bench',
      createdAt: Date.now(),
      backedUp: false,
      deviceType: 'singleDevice',
      transports: ['internal'],
      publicKey: authenticator.publicKey,
      counter: 0,
    },
    MAX_PASSKEYS_PER_USER,
  );
  const post = (path: string, body: unknown) =>
    handler(
      toApiGatewayEvent({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
      lambdaContext('PasskeySignInFunction'),
    );
  const send = DynamoDBDocumentClient.prototype.send;
  const calls: string[] = [];
  const latencies: number[] = [];
  const count = Math.max(ROUNDS * 10, 100);
  for (let i = 0; i < count + 5; i += 1) {
    const { challenge } = JSON.parse((await post('/api/auth/passkeys/authentication/options', {})).body).data;
    const assertion = authenticator.authenticate({ challenge, origin: ORIGIN, rpId: RP_ID });
    const counted = i >= 5;
    DynamoDBDocumentClient.prototype.send = function (this: DynamoDBDocumentClient, command: never, ...rest: never[]) {
      if (counted)
        calls.push((command as { constructor: { name: string } }).constructor.name.replace(/Command$/, 'Item'));
      return (send as (...args: unknown[]) => unknown).call(this, command, ...rest);
    } as typeof send;
    const started = performance.now();
    const response = await post('/api/auth/passkeys/authentication', assertion);
    const elapsed = performance.now() - started;
    DynamoDBDocumentClient.prototype.send = send;
    if (response.statusCode !== 200) throw new Error(`passkey sign-in answered ${response.statusCode}`);
    if (i >= 5) latencies.push(elapsed);
  }
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call, (counts.get(call) ?? 0) + 1);
  const tally = [...counts]
    .sort()
    .map(([call, n]) => `${call.replace('QueryItem', 'Query')} ${n / count}`)
    .join(', ');
  console.log(
    `10. passkey sign-in, warm, in process (${count} in a row, no bcrypt): median ${ms(median(latencies))}, p99 ${ms(percentile(latencies, 99))}; DynamoDB calls per sign-in: ${tally} (plus the options call's PutItem)`,
  );
};
