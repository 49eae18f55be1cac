import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import type { PasswordConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createDynamoDbAccountCap } from '#lib/login/account-cap.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { createDynamoDbDeviceBudgets } from '#lib/login/device-budget.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createPasswordChange } from '#lib/login/password-change.ts';
import { createPasswordChangeTelemetry } from '#lib/login/password-change-telemetry.ts';
import { createLiveSessionLookup } from '#lib/sessions/access.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDeviceTokens } from '#lib/sessions/device-token.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createKeySetPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createPolicyTokenVerifier } from '#lib/tokens/verifier.ts';
import { configuredPasswordChecker } from '#lib/users/password-policy.ts';
import { createPasswordVerifier } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { PasswordHandlerDependencies } from './create-handler.ts';

/**
 * Everything the password change handler uses, the real adapters for `config`: built once per
 * container by the handler, and by the tests with their own runtime.
 */
export const createPasswordHandlerDependencies = (
  config: PasswordConfig,
  runtime?: FunctionRuntime,
): PasswordHandlerDependencies => {
  const { logger, metrics, clock } = withServiceDefaults(runtime);
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const telemetry = createPasswordChangeTelemetry(logger, metrics);
  const secretOptions = { clock, logger, metrics };
  const refreshKey = createSecretReader(config.refreshKey, secretOptions);
  const users = createDynamoDbUserStore(client, config.usersTableName);
  const sessions = createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName);
  const policy = config.sessionPolicy;
  return {
    changePassword: createPasswordChange({
      users,
      attempts: createDynamoDbLoginAttempts(client, config.attemptsTableName, config.throttlePolicy, clock),
      devices: createDynamoDbDeviceBudgets(client, config.attemptsTableName, config.devices, clock),
      accountCap: createDynamoDbAccountCap(client, config.attemptsTableName, config.accountCap, clock),
      deviceTokens: createDeviceTokens(refreshKey, { ttlSeconds: config.devices.ttlSeconds, clock }),
      identifierHash: createIdentifierHash(createSecretReader(config.identifierKey, secretOptions)),
      passwords: createPasswordVerifier(config.bcryptCost),
      policy: configuredPasswordChecker(config.passwordPolicy, (details) => telemetry.pwnedUnavailable(details)),
      tokens: createTokenSigner(createSigningKeyProvider(config.signingKeys, secretOptions), config.tokenPolicy, clock),
      startSession: createSessionStarter({ sessions, refreshTokens: createRefreshTokens(refreshKey), policy, clock }),
      telemetry,
      cappedRetryAfterSeconds: config.throttlePolicy.maxLockSeconds,
    }),
    liveSession: createLiveSessionLookup({
      sessions,
      control: createDynamoDbSessionControl(client, config.sessionsTableName),
      readUser: users.findById,
      policy,
      clock,
    }),
    verify: createPolicyTokenVerifier(
      verificationKeys(createKeySetPublicKeyProvider(config.signingKeys, secretOptions)),
      config.tokenPolicy,
      clock,
    ),
    telemetry,
    logger,
    metrics,
    corsAllowedOrigins: config.corsAllowedOrigins,
  };
};
