import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import type { MeConfig } from '#lib/function-config.ts';
import { createSessionAccess } from '#lib/sessions/access.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { MeHandlerOptions } from './create-handler.ts';

/** The real adapters for `config`, built once per container. */
export const createMeDependencies = (
  config: MeConfig,
  { logger, metrics, clock = systemClock }: { logger: Logger; metrics?: Metrics; clock?: Clock },
): Omit<MeHandlerOptions, 'corsAllowedOrigins'> => {
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  return {
    logger,
    access: createSessionAccess({
      sessions: createDynamoDbSessionStore(client, config.sessionsTableName),
      users: createDynamoDbUserStore(client, config.usersTableName),
      policy: config.sessionPolicy,
      clock,
    }),
    verify: createTokenVerifier({
      keys: verificationKeys(createPublicKeyProvider(config.publicKeys, { logger, metrics })),
      issuer: config.tokenPolicy.issuer,
      audience: config.tokenPolicy.audience,
      maxTokenAgeSeconds: config.tokenPolicy.ttlSeconds,
      clock,
    }),
  };
};
