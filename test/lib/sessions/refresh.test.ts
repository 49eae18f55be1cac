import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { InvalidRefreshTokenError } from '#lib/errors.ts';
import { createRefresh, judgeGeneration } from '#lib/sessions/refresh.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import type { SessionItem } from '#lib/sessions/session.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { createTestTables, TEST_REFRESH_KEY, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { testKeySet } from '#test/support/keys.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';
import { testSessionStarter } from '#test/support/sessions.ts';

const session = (generation: number, rotatedAt: number) => ({ generation, rotatedAt }) as SessionItem;

describe('judgeGeneration', () => {
  it.each([
    ['the current generation rotates', 5, 5, 0, 'rotate'],
    ['the previous one within the grace period is a retry', 5, 4, 29_999, 'current'],
    ['the previous one at the end of the grace period is reuse', 5, 4, 30_000, 'reused'],
    ['an older one is reuse at once', 5, 3, 0, 'reused'],
    ['a later one never was current', 5, 6, 0, 'unknown'],
  ])('%s', (_, current, presented, elapsed, verdict) => {
    expect(judgeGeneration(session(current, 1_000), presented, 1_000 + elapsed, 30)).toBe(verdict);
  });
});

describe('refresh outcomes in the log and metrics', () => {
  let tables: TestTables;
  const logger = recordingLogger();
  const metrics: string[] = [];
  const time = manualClock(new Date());
  let refresh: ReturnType<typeof createRefresh>;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('u', { id: 'u' });
    refresh = createRefresh({
      sessions: createDynamoDbSessionStore(tables.client, tables.sessionsTableName),
      users: createDynamoDbUserStore(tables.client, tables.usersTableName),
      refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
      tokens: createTokenSigner(
        createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }),
        { issuer: 'i', audience: 'a', ttlSeconds: 900 },
        time.clock,
      ),
      policy: DEFAULTS.sessions,
      telemetry: createSessionTelemetry(logger, {
        addMetric: (name: string) => {
          metrics.push(name);
        },
      }),
      clock: time.clock,
    });
  });

  afterAll(() => tables.drop());

  it('says which failure it was, warns and counts reuse, and never logs a token', async () => {
    const { refreshToken: first } = await testSessionStarter(tables, time.clock)({ id: 'u' }, undefined);
    const { refreshToken: second } = await refresh(first);
    expect(logger.lines.at(-1)).toMatchObject({ level: 'info', details: { outcome: 'rotated', userId: 'u' } });
    await refresh(first);
    expect(logger.lines.at(-1)).toMatchObject({ details: { outcome: 'retried' } });
    time.advance(31);
    await expect(refresh(first)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', details: { outcome: 'refresh_token_reused' } });
    expect(metrics.at(-1)).toBe('RefreshTokenReused');
    await expect(refresh(second)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(logger.lines.at(-1)).toMatchObject({ details: { outcome: 'session_ended' } });
    await expect(refresh('garbage')).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(logger.lines.at(-1)).toMatchObject({ details: { outcome: 'malformed' } });
    const logged = JSON.stringify(logger.lines);
    for (const token of [first, second]) expect(logged).not.toContain(token.split('.')[2]);
  });
});
