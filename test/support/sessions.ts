import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createSecretReader } from '#lib/aws/secrets.ts';
import type { Clock } from '#lib/clock.ts';
import { createDynamoDbAccountCap } from '#lib/login/account-cap.ts';
import { createDynamoDbDeviceBudgets } from '#lib/login/device-budget.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDeviceTokens } from '#lib/sessions/device-token.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import type { SessionPolicy } from '#lib/sessions/session.ts';
import { createSessionStarter, type StartedSession } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { TEST_REFRESH_KEY, TEST_TOKEN_ISSUER, type TestTables } from './dynamodb.ts';

/** The real session starter on the test tables, with the default policy unless told otherwise. */
export const testSessionStarter = (tables: TestTables, clock?: Clock, policy: SessionPolicy = DEFAULTS.sessions) =>
  createSessionStarter({
    sessions: createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName),
    refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
    policy,
    ...(clock && { clock }),
  });

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Live sessions without a login (so without bcrypt's cost): `start(userId)` starts one with the
 * real starter and signs its access token as the test handlers' login does.
 */
export const testSessions = (tables: TestTables) => {
  // The SDK's defaults, not the functions' 1 s bound: a setup write that times out on a busy
  // machine and is retried would fail its own condition (the first attempt landed).
  const patient = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: tables.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }),
  );
  const startSession = createSessionStarter({
    sessions: createDynamoDbSessionStore(patient, tables.sessionsTableName, tables.usersTableName),
    refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
    policy: DEFAULTS.sessions,
  });
  const signer = createTokenSigner(createSigningKeyProvider({ value: tables.env.SIGNING_KEYS ?? '' }), {
    issuer: TEST_TOKEN_ISSUER,
    audience: DEFAULTS.audience,
    ttlSeconds: DEFAULTS.ttlSeconds,
  });
  return {
    async start(userId: string) {
      const [user, globalEpoch] = await Promise.all([
        createDynamoDbUserStore(patient, tables.usersTableName).findById(userId),
        createDynamoDbSessionControl(patient, tables.sessionsTableName).globalEpoch(),
      ]);
      if (!user) throw new Error(`no usable user ${userId}`);
      const started = await startSession({ ...user, globalEpoch }, 'test');
      if (!started.started) throw new Error(`session start refused: ${started.reason}`);
      const { sessionId, refreshToken } = started;
      return { sessionId, refreshToken, token: await signer.sign(userId, sessionId) };
    },
    close: () => patient.destroy(),
  };
};

/**
 * The trusted-device and account-cap parts of a login on the test tables, with the default
 * policies: what a use-case test adds to its own users, attempts and verifier.
 */
export const testLoginBudgets = (tables: TestTables, clock?: Clock) => ({
  devices: createDynamoDbDeviceBudgets(tables.client, tables.attemptsTableName, DEFAULTS.devices, clock),
  accountCap: createDynamoDbAccountCap(
    tables.client,
    tables.attemptsTableName,
    { maxFailures: DEFAULTS.accountMaxFailures, memorySeconds: DEFAULTS.accountMemorySeconds },
    clock,
  ),
  deviceTokens: createDeviceTokens(createSecretReader({ value: TEST_REFRESH_KEY }), {
    ttlSeconds: DEFAULTS.devices.ttlSeconds,
    ...(clock && { clock }),
  }),
  cappedRetryAfterSeconds: DEFAULTS.throttle.maxLockSeconds,
  control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
});

/**
 * Starts a session for a stored user as a login would once the password matched: from the user
 * item as it is now. Fails the test when the user is missing or the start is refused.
 */
export const startTestSession = async (
  tables: TestTables,
  userId: string,
  { clock, userAgent = 'test' }: { clock?: Clock; userAgent?: string } = {},
): Promise<StartedSession> => {
  const [user, globalEpoch] = await Promise.all([
    createDynamoDbUserStore(tables.client, tables.usersTableName).findById(userId),
    createDynamoDbSessionControl(tables.client, tables.sessionsTableName).globalEpoch(),
  ]);
  if (!user) throw new Error(`no usable user ${userId}`);
  const started = await testSessionStarter(tables, clock)({ ...user, globalEpoch }, userAgent);
  if (!started.started) throw new Error(`session start refused: ${started.reason}`);
  return started;
};
