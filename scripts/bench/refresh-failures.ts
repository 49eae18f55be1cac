/**
 * Section 9: a failed refresh takes the same time whatever the cause: an unknown session id, a
 * known one with a bad MAC, a session that has ended, through the refresh handler, warm, in turn.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createRefreshHandler } from '#functions/refresh/create-handler.ts';
import { createRefreshHandlerDependencies } from '#functions/refresh/dependencies.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { readRefreshConfig } from '#lib/function-config.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createRefreshTokens, newSessionId } from '#lib/sessions/refresh-token.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { lambdaContext, toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { DEMO_USER } from '#scripts/local/tables.ts';
import type { BenchEnv, DocumentClient } from './login-events.ts';
import { compareAll, ms, ROUNDS, ratios } from './measure.ts';

const A_BAD_MAC = 'A'.repeat(43);

export const refreshFailures = async (
  client: DocumentClient,
  env: BenchEnv,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
): Promise<void> => {
  const config = readRefreshConfig(env);
  const sessions = createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName);
  const start = createSessionStarter({
    sessions,
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
  const refreshTokenOf = async () => {
    const started = await start(user, 'bench');
    if (!started.started) throw new Error('the demo user changed during the bench');
    return started.refreshToken;
  };
  const live = await refreshTokenOf();
  const ended = await refreshTokenOf();
  await sessions.end(ended.split('.')[0] ?? '', Date.now());

  const refresh = createRefreshHandler(createRefreshHandlerDependencies(config, { logger, metrics }));
  const attempt = (token: () => string) => async () => {
    const response = await refresh(
      toApiGatewayEvent({
        method: 'POST',
        path: '/api/auth/refresh',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: token() }),
      }),
      lambdaContext('RefreshFunction'),
    );
    if (response.statusCode !== 401) throw new Error(`a bad refresh token answered ${response.statusCode}`);
  };
  const rounds = Math.max(ROUNDS * 10, 100);
  const [badMac, unknown, endedTime] = await compareAll(
    [
      attempt(() => live.replace(/[^.]+$/, A_BAD_MAC)),
      // A new id each time, as an attacker guessing ids would send.
      attempt(() => `${newSessionId()}.0.${A_BAD_MAC}`),
      attempt(() => ended),
    ],
    rounds,
  );
  console.log(
    `9. failed refresh by cause, against a known session with a bad MAC (${ms(badMac?.wall ?? Number.NaN)}, ` +
      `our CPU ${ms(badMac?.cpu ?? Number.NaN)}), medians of ${rounds}: ` +
      `unknown session id ${ratios(unknown, badMac)}; ended session ${ratios(endedTime, badMac)}`,
  );
};
