/** Section 6: what a login pays for its session, and what a refresh costs. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createRefreshHandler } from '#functions/refresh/create-handler.ts';
import { createRefreshHandlerDependencies } from '#functions/refresh/dependencies.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { readRefreshConfig } from '#lib/function-config.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { lambdaContext, toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { DEMO_USER } from '#scripts/local/tables.ts';
import type { BenchEnv, DocumentClient } from './login-events.ts';
import { median, ms, percentile, ROUNDS, time } from './measure.ts';

/**
 * The session a login starts (a transaction: the check on the user item and the PutItem; then the
 * cap's Query on the user index), on top of its bcrypt compare; and the refresh handler's latency, warm, in process, each refresh
 * with the token the previous one returned (a read of the session, a read of the user, the
 * conditional rotation, an RS256 signature).
 */
export const sessionCosts = async (
  client: DocumentClient,
  env: BenchEnv,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
): Promise<void> => {
  const config = readRefreshConfig(env);
  const start = createSessionStarter({
    sessions: createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName),
    refreshTokens: createRefreshTokens(createSecretReader({ value: env.REFRESH_KEY ?? '' })),
    policy: config.sessionPolicy,
  });
  // The demo user as a login reads it: the session starts only while its item still holds this hash and epoch.
  const found = await createDynamoDbUserStore(client, config.usersTableName).findById(DEMO_USER.id);
  if (!found) throw new Error('the demo user is missing');
  const user = {
    ...found,
    globalEpoch: await createDynamoDbSessionControl(client, config.sessionsTableName).globalEpoch(),
  };
  const starts: number[] = [];
  for (let i = 0; i < ROUNDS + 1; i += 1) starts.push(await time(() => start(user, 'bench')));
  console.log(
    `6. a login's session (the user check and the PutItem in one transaction, the cap's Query beside it), beyond its bcrypt compare: median ${ms(median(starts.slice(1)))}`,
  );

  const refresh = createRefreshHandler(createRefreshHandlerDependencies(config, { logger, metrics }));
  const started = await start(user, 'bench');
  if (!started.started) throw new Error('the demo user changed during the bench');
  let { refreshToken } = started;
  const event = () =>
    toApiGatewayEvent({
      method: 'POST',
      path: '/api/auth/refresh',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
  const latencies: number[] = [];
  const count = Math.max(ROUNDS * 10, 100);
  for (let i = 0; i < count + 5; i += 1) {
    const started = performance.now();
    const response = await refresh(event(), lambdaContext('RefreshFunction'));
    const elapsed = performance.now() - started;
    if (response.statusCode !== 200) throw new Error(`refresh answered ${response.statusCode}`);
    ({ refreshToken } = JSON.parse(response.body).data);
    if (i >= 5) latencies.push(elapsed);
  }
  console.log(
    `   refresh, warm, in process (${count} in a row): median ${ms(median(latencies))}, p99 ${ms(percentile(latencies, 99))}`,
  );
};
