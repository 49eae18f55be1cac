import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { readTokenRoutesConfig } from '#lib/config.ts';
import { ConfigError } from '#lib/errors.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import { createSigningKeysProvider, KEY_SET_MAX_AGE_SECONDS, verificationKeys } from '#lib/tokens/key-provider.ts';
import { createTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { createMeHandler } from './create-handler.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readTokenRoutesConfig();
if (!config.tableName) throw new ConfigError('Environment variable TABLE_NAME is required');
const keys = createSigningKeysProvider(createSecretReader(config.token.signingKeys, KEY_SET_MAX_AGE_SECONDS));

/** The Lambda entry point: `GET /api/auth/me` (API Gateway REST API, proxy integration). */
export const handler = createMeHandler({
  logger: new Logger({ serviceName: SERVICE_NAME }),
  users: createDynamoDbUserStore(createDocumentClient({ endpoint: config.dynamoDbEndpoint }), config.tableName),
  verify: createTokenVerifier({
    keys: verificationKeys(keys),
    issuer: config.token.issuer,
    audience: config.token.audience,
  }),
  corsAllowedOrigins: config.corsAllowedOrigins,
});
