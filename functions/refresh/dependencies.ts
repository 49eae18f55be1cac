import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import type { RefreshConfig } from '#lib/function-config.ts';
import { createRefresh } from '#lib/sessions/refresh.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { RefreshHandlerOptions } from './create-handler.ts';

/** The real adapters for `config`, built once per container. Tests pass their own clock. */
export const createRefreshDependencies = (
  config: RefreshConfig,
  { logger, metrics, clock = systemClock }: { logger: Logger; metrics: Metrics; clock?: Clock },
): Omit<RefreshHandlerOptions, 'corsAllowedOrigins'> => {
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const telemetry = createSessionTelemetry(logger, metrics);
  const secretOptions = { clock, logger, metrics };
  const refresh = createRefresh({
    sessions: createDynamoDbSessionStore(client, config.sessionsTableName),
    users: createDynamoDbUserStore(client, config.usersTableName),
    refreshTokens: createRefreshTokens(createSecretReader(config.refreshKey, secretOptions)),
    tokens: createTokenSigner(createSigningKeyProvider(config.signingKeys, secretOptions), config.tokenPolicy, clock),
    policy: config.sessionPolicy,
    telemetry,
    clock,
  });
  return { refresh, telemetry, logger, metrics };
};
