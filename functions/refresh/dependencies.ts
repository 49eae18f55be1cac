import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import type { RefreshConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createRefresh } from '#lib/sessions/refresh.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createAccessTokenLogout, createRefreshTokenRevocation } from '#lib/sessions/revoke.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createKeySetPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createTokenSigner, registeredClientIds } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createPolicyTokenVerifier } from '#lib/tokens/verifier.ts';
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
  const sessions = createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName);
  const refreshTokens = createRefreshTokens(createSecretReader(config.refreshKey, secretOptions));
  const refresh = createRefresh({
    sessions,
    control: createDynamoDbSessionControl(client, config.sessionsTableName),
    users: createDynamoDbUserStore(client, config.usersTableName),
    refreshTokens,
    tokens: createTokenSigner(createSigningKeyProvider(config.signingKeys, secretOptions), config.tokenPolicy, clock),
    policy: config.sessionPolicy,
    telemetry,
    clock,
  });
  return {
    refresh,
    revoke: createRefreshTokenRevocation({ sessions, refreshTokens, telemetry, clock }),
    logoutByAccessToken: createAccessTokenLogout({ sessions, telemetry, clock }),
    // The public half of the key set it signs with: the same keys as the JWKS, no second secret.
    verify: createPolicyTokenVerifier(
      verificationKeys(createKeySetPublicKeyProvider(config.signingKeys, secretOptions)),
      config.tokenPolicy,
      clock,
    ),
    clientIds: registeredClientIds(config.tokenPolicy),
    telemetry,
    logger,
    metrics,
    corsAllowedOrigins: config.corsAllowedOrigins,
  };
};
