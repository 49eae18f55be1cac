import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import type { PasskeySignInConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createDynamoDbChallengeStore } from '#lib/passkeys/challenges.ts';
import { createPasskeySignIn } from '#lib/passkeys/sign-in.ts';
import { createDynamoDbPasskeyStore } from '#lib/passkeys/store.ts';
import { createPasskeyTelemetry } from '#lib/passkeys/telemetry.ts';
import { CHALLENGE_TTL_SECONDS, createWebAuthn } from '#lib/passkeys/webauthn.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDeviceTokens } from '#lib/sessions/device-token.ts';
import { createGrantAnswer } from '#lib/sessions/grant.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { PasskeySignInHandlerDependencies } from './create-handler.ts';

/**
 * Everything the passkey sign-in handler uses, the real adapters for `config`: built once per
 * container by the handler, and by the tests and the bench with their own runtime. Sessions start
 * exactly as a password login starts them (the same starter, the same grant).
 */
export const createPasskeySignInHandlerDependencies = (
  config: PasskeySignInConfig,
  runtime?: FunctionRuntime,
): PasskeySignInHandlerDependencies => {
  const { logger, metrics, clock } = withServiceDefaults(runtime);
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const secretOptions = { clock, logger, metrics };
  const tokens = createTokenSigner(
    createSigningKeyProvider(config.signingKeys, secretOptions),
    config.tokenPolicy,
    clock,
  );
  const sessionTelemetry = createSessionTelemetry(logger, metrics);
  const refreshKey = createSecretReader(config.refreshKey, secretOptions);
  const startSession = createSessionStarter({
    sessions: createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName),
    refreshTokens: createRefreshTokens(refreshKey),
    policy: config.sessionPolicy,
    clock,
    onCapped: (details) => sessionTelemetry.ended('cap', details),
  });
  return {
    logger,
    metrics,
    corsAllowedOrigins: config.corsAllowedOrigins,
    signIn: createPasskeySignIn({
      passkeys: createDynamoDbPasskeyStore(client, config.passkeysTableName),
      challenges: createDynamoDbChallengeStore(client, config.passkeyChallengesTableName, CHALLENGE_TTL_SECONDS, clock),
      users: createDynamoDbUserStore(client, config.usersTableName),
      webauthn: createWebAuthn(config.relyingParty),
      startSession,
      control: createDynamoDbSessionControl(client, config.sessionsTableName),
      answerGrant: createGrantAnswer({
        tokens,
        // Device tokens are keyed from the refresh key, as the login's.
        deviceTokens: createDeviceTokens(refreshKey, { ttlSeconds: config.deviceTokenTtlSeconds, clock }),
      }),
      tokens,
      telemetry: createPasskeyTelemetry(logger, metrics),
      clock,
    }),
  };
};
