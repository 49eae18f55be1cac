import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import type { PasskeysConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createDynamoDbChallengeStore } from '#lib/passkeys/challenges.ts';
import { createPasskeyManagement } from '#lib/passkeys/manage.ts';
import { createDynamoDbPasskeyStore } from '#lib/passkeys/store.ts';
import { createPasskeyTelemetry } from '#lib/passkeys/telemetry.ts';
import { CHALLENGE_TTL_SECONDS, createWebAuthn } from '#lib/passkeys/webauthn.ts';
import { createLiveSessionLookup } from '#lib/sessions/access.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createPolicyTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { PasskeysHandlerDependencies } from './create-handler.ts';

/**
 * Everything the passkeys handler uses, the real adapters for `config`: built once per container by
 * the handler, and by the tests with their own runtime.
 */
export const createPasskeysHandlerDependencies = (
  config: PasskeysConfig,
  runtime?: FunctionRuntime,
): PasskeysHandlerDependencies => {
  const { logger, metrics, clock } = withServiceDefaults(runtime);
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const secretOptions = { clock, logger, metrics };
  return {
    logger,
    corsAllowedOrigins: config.corsAllowedOrigins,
    clock,
    policy: config.passkeyPolicy,
    manage: createPasskeyManagement({
      passkeys: createDynamoDbPasskeyStore(client, config.passkeysTableName),
      challenges: createDynamoDbChallengeStore(client, config.passkeyChallengesTableName, CHALLENGE_TTL_SECONDS, clock),
      webauthn: createWebAuthn(config.relyingParty),
      policy: config.passkeyPolicy,
      telemetry: createPasskeyTelemetry(logger),
      clock,
    }),
    liveSession: createLiveSessionLookup({
      sessions: createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName),
      control: createDynamoDbSessionControl(client, config.sessionsTableName),
      readUser: createDynamoDbUserStore(client, config.usersTableName).findProfileById,
      policy: config.sessionPolicy,
      clock,
    }),
    verify: createPolicyTokenVerifier(
      verificationKeys(createPublicKeyProvider(config.publicKeys, secretOptions)),
      config.tokenPolicy,
      clock,
    ),
  };
};
