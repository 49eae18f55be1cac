import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createRefreshTokens, parseRefreshToken } from '#lib/sessions/refresh-token.ts';
import { createAccessTokenLogout, createRefreshTokenRevocation } from '#lib/sessions/revoke.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { createTestTables, TEST_REFRESH_KEY, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';
import { startTestSession } from '#test/support/sessions.ts';

/** Logout by refresh token (RFC 7009) and by access token, against DynamoDB Local. */
describe('ending a session by logout', () => {
  let tables: TestTables;
  const time = manualClock(new Date());

  const setUp = () => {
    const logger = recordingLogger();
    const sessions = createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName);
    const telemetry = createSessionTelemetry(logger);
    const revoke = createRefreshTokenRevocation({
      sessions,
      refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
      telemetry,
      clock: time.clock,
    });
    const logout = createAccessTokenLogout({ sessions, telemetry, clock: time.clock });
    const start = async () => {
      const { refreshToken } = await startTestSession(tables, 'u', { clock: time.clock });
      const sessionId = parseRefreshToken(refreshToken)?.sessionId as string;
      return { refreshToken, sessionId, endedAt: async () => (await sessions.get(sessionId))?.endedAt };
    };
    return { revoke, logout, start, lines: logger.lines };
  };

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('u', { id: 'u' });
  });

  afterAll(() => tables.drop());

  it('ends the session of a genuine refresh token, of any generation, and says so once', async () => {
    const { revoke, start, lines } = setUp();
    const { refreshToken, sessionId, endedAt } = await start();
    await revoke(refreshToken);
    expect(await endedAt()).toBe(time.clock().getTime());
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'Session ended',
        details: { reason: 'logout', sessionId, userId: 'u', by: 'refresh_token' },
      },
    ]);
    // Ended already: the same silence to the client, nothing more in the log.
    await revoke(refreshToken);
    expect(lines).toHaveLength(1);
  });

  it('leaves the session alone for a forged, unknown or malformed token, and for another client', async () => {
    const { revoke, start, lines } = setUp();
    const { refreshToken, endedAt } = await start();
    await revoke(refreshToken.replace(/[^.]+$/, 'A'.repeat(43)));
    await revoke(`${'x'.repeat(22)}.0.${refreshToken.split('.').slice(2).join('.')}`);
    await revoke('garbage');
    // Started without a client, the session is the default client's.
    await revoke(refreshToken, { clientId: 'tv', defaultClientId: 'app' });
    expect(await endedAt()).toBeUndefined();
    expect(lines).toEqual([]);
    await revoke(refreshToken, { clientId: 'app', defaultClientId: 'app' });
    expect(await endedAt()).toBe(time.clock().getTime());
  });

  it('ends the session an access token names only for its own user, and says so once', async () => {
    const { logout, start, lines } = setUp();
    const { sessionId, endedAt } = await start();
    await logout('someone-else', sessionId);
    await logout('u', 'no-such-session');
    expect(await endedAt()).toBeUndefined();
    expect(lines).toEqual([]);
    await logout('u', sessionId);
    expect(await endedAt()).toBe(time.clock().getTime());
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'Session ended',
        details: { reason: 'logout', sessionId, userId: 'u', by: 'access_token' },
      },
    ]);
    await logout('u', sessionId);
    expect(lines).toHaveLength(1);
  });
});

describe('session telemetry', () => {
  it('logs an error as an error, reuse as a warning, the rest as information, each with its metric', () => {
    const logger = recordingLogger();
    const metrics: string[] = [];
    const telemetry = createSessionTelemetry(logger, { addMetric: (name) => metrics.push(name) });
    telemetry.refresh('error', { sessionId: 's' });
    telemetry.refresh('refresh_token_reused', { sessionId: 's' });
    telemetry.refresh('bad_input', {});
    expect(logger.lines).toEqual([
      { level: 'error', message: 'Refresh', details: { outcome: 'error', sessionId: 's' } },
      { level: 'warn', message: 'Refresh', details: { outcome: 'refresh_token_reused', sessionId: 's' } },
      { level: 'info', message: 'Refresh', details: { outcome: 'bad_input' } },
    ]);
    expect(metrics).toEqual(['RefreshErrored', 'RefreshTokenReused', 'RefreshRejected']);
  });
});
