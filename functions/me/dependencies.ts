import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import type { MeConfig } from '#lib/config.ts';
import { createKeyProvider, verificationKeys } from '#lib/tokens/key-provider.ts';
import { createTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { MeHandlerOptions } from './create-handler.ts';

/** The real adapters for `config`, built once per container. */
export const createMeDependencies = (
  config: MeConfig,
  { logger, metrics }: { logger: Logger; metrics?: Metrics },
): Omit<MeHandlerOptions, 'corsAllowedOrigins'> => ({
  logger,
  users: createDynamoDbUserStore(createDocumentClient({ endpoint: config.dynamoDbEndpoint }), config.tableName),
  verify: createTokenVerifier({
    keys: verificationKeys(createKeyProvider(config.token.signingKeys, { logger, metrics })),
    issuer: config.token.issuer,
    audience: config.token.audience,
  }),
});
