import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import type { SessionsConfig } from '#lib/function-config.ts';
import { createSessionAccess } from '#lib/sessions/access.ts';
import { createSessionManagement } from '#lib/sessions/manage.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { SessionsHandlerOptions } from './create-handler.ts';

/** The real adapters for `config`, built once per container. Tests pass their own clock. */
export const createSessionsDependencies = (
  config: SessionsConfig,
  { logger, metrics, clock = systemClock }: { logger: Logger; metrics?: Metrics; clock?: Clock },
): Omit<SessionsHandlerOptions, 'corsAllowedOrigins'> => {
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const sessions = createDynamoDbSessionStore(client, config.sessionsTableName);
  const users = createDynamoDbUserStore(client, config.usersTableName);
  const policy = config.sessionPolicy;
  const secretOptions = { clock, logger, ...(metrics && { metrics }) };
  return {
    logger,
    manage: createSessionManagement({
      sessions,
      users,
      refreshTokens: createRefreshTokens(createSecretReader(config.refreshKey, secretOptions)),
      policy,
      telemetry: createSessionTelemetry(logger),
      clock,
    }),
    access: createSessionAccess({ sessions, users, policy, clock }),
    verify: createTokenVerifier({
      keys: verificationKeys(createPublicKeyProvider(config.publicKeys, secretOptions)),
      issuer: config.tokenPolicy.issuer,
      audience: config.tokenPolicy.audience,
      maxTokenAgeSeconds: config.tokenPolicy.ttlSeconds,
      clock,
    }),
  };
};
