import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import type { LoginConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createDynamoDbAccountCap } from '#lib/login/account-cap.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { createDynamoDbDeviceBudgets } from '#lib/login/device-budget.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createLogin } from '#lib/login/login.ts';
import { createLoginTelemetry } from '#lib/login/telemetry.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDeviceTokens } from '#lib/sessions/device-token.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createTokenSigner, registeredClientIds } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createPasswordVerifier } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import type { LoginHandlerDependencies } from './create-handler.ts';

/** A username no user can have (usernames are letters, digits, ".", "_" and "-"): a lookup that finds nothing. */
const WARM_UP_USERNAME = 'warm up';

export interface LoginWarmUp {
  /**
   * Starts what every request needs, all at once: both secrets, the key import, and the
   * DynamoDB client's first connection (a lookup that finds nothing). Never rejects: a
   * dependency that is down must not fail init; the first request then tries again, and
   * answers 503 if it is still down.
   */
  warmUp(): Promise<void>;
}

/**
 * Everything the login handler uses, the real adapters for `config`: built once per container by
 * the handler, and by the tests and the bench with their own runtime. Also the warm-up, which the
 * handler starts at init.
 */
export const createLoginHandlerDependencies = (
  config: LoginConfig,
  runtime?: FunctionRuntime,
): LoginHandlerDependencies & LoginWarmUp => {
  const { logger, metrics, clock } = withServiceDefaults(runtime);
  const client = createDocumentClient({ endpoint: config.dynamoDbEndpoint });
  const telemetry = createLoginTelemetry(logger, metrics);
  const secretOptions = { clock, logger, metrics };
  const identifierKey = createSecretReader(config.identifierKey, secretOptions);
  const refreshKey = createSecretReader(config.refreshKey, secretOptions);
  const users = createDynamoDbUserStore(client, config.usersTableName);
  const tokens = createTokenSigner(
    createSigningKeyProvider(config.signingKeys, secretOptions),
    config.tokenPolicy,
    clock,
  );
  const sessionTelemetry = createSessionTelemetry(logger, metrics);
  const login = createLogin({
    users,
    attempts: createDynamoDbLoginAttempts(client, config.attemptsTableName, config.throttlePolicy, clock),
    devices: createDynamoDbDeviceBudgets(client, config.attemptsTableName, config.devices, clock),
    accountCap: createDynamoDbAccountCap(client, config.attemptsTableName, config.accountCap, clock),
    deviceTokens: createDeviceTokens(refreshKey, { ttlSeconds: config.devices.ttlSeconds, clock }),
    cappedRetryAfterSeconds: config.throttlePolicy.maxLockSeconds,
    identifierHash: createIdentifierHash(identifierKey),
    passwords: createPasswordVerifier(config.bcryptCost),
    tokens,
    startSession: createSessionStarter({
      sessions: createDynamoDbSessionStore(client, config.sessionsTableName, config.usersTableName),
      refreshTokens: createRefreshTokens(refreshKey),
      policy: config.sessionPolicy,
      clock,
      onCapped: (details) => sessionTelemetry.ended('cap', details),
    }),
    control: createDynamoDbSessionControl(client, config.sessionsTableName),
    telemetry,
  });
  const warmUp = async () => {
    const started = [
      identifierKey(),
      refreshKey(),
      tokens.ready(),
      users.findByIdentifier({ kind: 'username', username: WARM_UP_USERNAME }),
    ];
    for (const result of await Promise.allSettled(started)) {
      if (result.status === 'rejected') telemetry.warn('Warm-up failed', { error: result.reason });
    }
  };
  return {
    login,
    clientIds: registeredClientIds(config.tokenPolicy),
    telemetry,
    logger,
    metrics,
    corsAllowedOrigins: config.corsAllowedOrigins,
    warmUp,
  };
};
