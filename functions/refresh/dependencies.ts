import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import type { RefreshConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createRefresh } from '#lib/sessions/refresh.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { RefreshHandlerDependencies } from './create-handler.ts';

/**
 * Everything the refresh handler uses, the real adapters for `config`: built once per container by
 * the handler, and by the tests with their own runtime.
 */
export const createRefreshHandlerDependencies = (
  config: RefreshConfig,
  runtime?: FunctionRuntime,
): RefreshHandlerDependencies => {
  const { logger, metrics, clock } = withServiceDefaults(runtime);
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
  return { refresh, telemetry, logger, metrics, corsAllowedOrigins: config.corsAllowedOrigins };
};
