import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { InvalidRefreshTokenError } from '#lib/errors.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createRefresh, judgeGeneration } from '#lib/sessions/refresh.ts';
import { createRefreshTokens, parseRefreshToken } from '#lib/sessions/refresh-token.ts';
import type { SessionItem } from '#lib/sessions/session.ts';
import { createDynamoDbSessionStore, type SessionStore } from '#lib/sessions/store.ts';
import { SESSIONS_TABLE } from '#lib/sessions/table.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { createTestTables, TEST_REFRESH_KEY, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { testKeySet } from '#test/support/keys.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';
import { startTestSession } from '#test/support/sessions.ts';

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
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(async () => {
    refresh = createRefresh({
      sessions: createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName),
      control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
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
    const { refreshToken: first } = await startTestSession(tables, 'u', { clock: time.clock });
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
    for (const token of [first, second]) expect(logged).not.toContain(token.split('.').at(-1));
  });
});

/**
 * A failed refresh must not tell, by its work, an unknown session from a known one with a bad MAC
 * or one that has ended: the same DynamoDB calls and the same MAC work for each (the times are
 * measured by `npm run bench`, not asserted here).
 */
describe('refresh failures in uniform work', () => {
  let tables: TestTables;
  const time = manualClock(new Date());
  let refresh: ReturnType<typeof createRefresh>;
  const macs: { saltLength: number }[] = [];
  const logger = recordingLogger();

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['alive', 'everywhere', 'gone']) {
      await tables.createUser(id, { id });
    }
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(async () => {
    const real = createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY }));
    refresh = createRefresh({
      sessions: createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName),
      control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
      users: createDynamoDbUserStore(tables.client, tables.usersTableName),
      // The real MAC, watched: how many, and over how much salt.
      refreshTokens: {
        ...real,
        matches: (token, salt) => {
          macs.push({ saltLength: salt.length });
          return real.matches(token, salt);
        },
      },
      tokens: createTokenSigner(
        createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }),
        { issuer: 'i', audience: 'a', ttlSeconds: 900 },
        time.clock,
      ),
      policy: DEFAULTS.sessions,
      telemetry: createSessionTelemetry(logger),
      clock: time.clock,
    });
  });

  afterAll(() => tables.drop());

  it('reads the session, checks one MAC and reads the user for every failure but a malformed token', async () => {
    const sessionsStore = createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName);
    const users = createDynamoDbUserStore(tables.client, tables.usersTableName);
    const tokenOf = async (userId: string) =>
      (await startTestSession(tables, userId, { clock: time.clock })).refreshToken;
    const withMac = (token: string, mac: string) => token.replace(/[^.]+$/, mac);

    const live = await tokenOf('alive');
    const loggedOut = await tokenOf('alive');
    await sessionsStore.end(loggedOut.split('.')[0] as string, time.clock().getTime());
    const endedEverywhere = await tokenOf('everywhere');
    const idle = await tokenOf('alive');
    const ofGoneUser = await tokenOf('gone');
    await tables.client.send(new DeleteCommand({ TableName: tables.usersTableName, Key: { id: 'gone' } }));
    time.advance(1);
    await users.endAllSessions('everywhere');

    const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
    /** What the operator sees of each failure (the client sees one 401 for all). */
    const logs: Record<string, unknown> = {};
    const traceOf = async (token: string) => {
      send.mockClear();
      macs.length = 0;
      await expect(refresh(token)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
      const calls = send.mock.calls.map(([command]) => {
        const { TableName, ConsistentRead, Key } = command.input as Record<string, unknown>;
        const table =
          TableName === tables.usersTableName ? 'users' : TableName === tables.sessionsTableName ? 'sessions' : '?';
        const control = (Key as { id?: unknown } | undefined)?.id === SESSIONS_TABLE.controlKey ? ' control' : '';
        return `${command.constructor.name} ${table}${control}${ConsistentRead ? ' consistent' : ''}`;
      });
      const { outcome, ended, userId } = (logger.lines.at(-1)?.details ?? {}) as Record<string, unknown>;
      logs[token] = { outcome, ended, userId };
      return { calls, macs: [...macs] };
    };
    try {
      const kinds = {
        'a known session with a bad MAC': await traceOf(withMac(live, 'A'.repeat(43))),
        'an unknown session id': await traceOf(`${'x'.repeat(22)}.0.${'A'.repeat(43)}`),
        'a session ended by logout': await traceOf(loggedOut),
        'a session ended by logout everywhere': await traceOf(endedEverywhere),
        'a session whose user is gone': await traceOf(ofGoneUser),
      };
      time.advance(DEFAULTS.sessions.idleSeconds + 1);
      Object.assign(kinds, { 'an idle session': await traceOf(idle) });
      const reference = kinds['a known session with a bad MAC'];
      expect(reference).toEqual({
        calls: [
          'GetCommand sessions consistent',
          'GetCommand sessions control consistent',
          'GetCommand users consistent',
        ],
        macs: [{ saltLength: 43 }],
      });
      for (const [kind, trace] of Object.entries(kinds))
        expect({ kind, ...trace }).toStrictEqual({ kind, ...reference });
      // A token of the wrong shape is refused from its shape alone, as before: it names no session.
      expect(await traceOf('garbage')).toEqual({ calls: [], macs: [] });
      // Each failure is told apart in the log, and the user is named once the MAC proved the token.
      expect(
        [
          withMac(live, 'A'.repeat(43)),
          `${'x'.repeat(22)}.0.${'A'.repeat(43)}`,
          loggedOut,
          endedEverywhere,
          ofGoneUser,
          idle,
          'garbage',
        ].map((token) => logs[token]),
      ).toEqual([
        { outcome: 'bad_mac', ended: undefined, userId: undefined },
        { outcome: 'unknown_session', ended: undefined, userId: undefined },
        { outcome: 'session_ended', ended: 'ended', userId: 'alive' },
        { outcome: 'session_ended', ended: 'revoked', userId: 'everywhere' },
        { outcome: 'user_gone', ended: undefined, userId: 'gone' },
        { outcome: 'expired', ended: 'expired', userId: 'alive' },
        { outcome: 'malformed', ended: undefined, userId: undefined },
      ]);
    } finally {
      send.mockRestore();
    }
  });
});

/**
 * Between a refresh's read and its conditional write, another request may rotate, end or delete
 * the session: the write refuses, the session is read again, and the answer is what the winner
 * made of it. The interloper here runs, through the real store, just before our write.
 */
describe('a refresh that loses its rotation to another request', () => {
  let tables: TestTables;
  const time = manualClock(new Date());

  const setUp = async (interloper: (store: SessionStore, sessionId: string) => Promise<unknown>) => {
    const logger = recordingLogger();
    const store = createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName);
    const refresh = createRefresh({
      sessions: {
        ...store,
        rotate: async (session, now, expiresAt) => {
          await interloper(store, session.id);
          return store.rotate(session, now, expiresAt);
        },
      },
      control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
      users: createDynamoDbUserStore(tables.client, tables.usersTableName),
      refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
      tokens: createTokenSigner(
        createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }),
        { issuer: 'i', audience: 'a', ttlSeconds: 900, clientIds: ['app', 'tv'] },
        time.clock,
      ),
      policy: DEFAULTS.sessions,
      telemetry: createSessionTelemetry(logger),
      clock: time.clock,
    });
    const { refreshToken } = await startTestSession(tables, 'u', { clock: time.clock });
    const sessionId = parseRefreshToken(refreshToken)?.sessionId as string;
    const generation = async () => {
      const { Item } = await tables.client.send(
        new GetCommand({ TableName: tables.sessionsTableName, Key: { id: sessionId } }),
      );
      return Item?.generation;
    };
    const outcome = () => (logger.lines.at(-1)?.details as { outcome?: string } | undefined)?.outcome;
    return { refresh, refreshToken, sessionId, generation, outcome, logger };
  };

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('u', { id: 'u' });
  });

  afterAll(() => tables.drop());

  it('answers the winner’s token when another request rotated first, and rotates no further', async () => {
    const { refresh, refreshToken, generation, outcome } = await setUp(async (store, id) => {
      const session = await store.get(id);
      if (session) await store.rotate(session, time.clock().getTime(), session.absoluteExpiresAt);
    });
    const answer = await refresh(refreshToken);
    expect(outcome()).toBe('retried');
    expect(parseRefreshToken(answer.refreshToken)?.generation).toBe(1);
    expect(await generation()).toBe(1);
  });

  it('refuses when the session was ended meanwhile (a logout), and when it was deleted', async () => {
    const ended = await setUp((store, id) => store.end(id, time.clock().getTime()));
    await expect(ended.refresh(ended.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(ended.outcome()).toBe('session_ended');
    const deleted = await setUp((_, id) =>
      tables.client.send(new DeleteCommand({ TableName: tables.sessionsTableName, Key: { id } })),
    );
    await expect(deleted.refresh(deleted.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(deleted.outcome()).toBe('unknown_session');
  });

  it('refreshes only for the session’s own client when one is named (RFC 6749 section 6)', async () => {
    const { refresh, refreshToken, generation, outcome, logger } = await setUp(async () => undefined);
    await expect(refresh(refreshToken, { clientId: 'tv' })).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'client_mismatch', userId: 'u' });
    expect(await generation()).toBe(0);
    // Started without a client, the session is the default client's (the first registered).
    await refresh(refreshToken, { clientId: 'app' });
    expect(outcome()).toBe('rotated');
    expect(await generation()).toBe(1);
  });

  it('ends the session on reuse and logs the generation that was current', async () => {
    const { refresh, refreshToken, sessionId, outcome, logger } = await setUp(async () => undefined);
    const second = await refresh(refreshToken);
    await refresh(second.refreshToken);
    time.advance(DEFAULTS.sessions.reuseGraceSeconds);
    await expect(refresh(refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(outcome()).toBe('refresh_token_reused');
    expect(logger.lines.at(-1)?.details).toMatchObject({ sessionId, generation: 0, currentGeneration: 2 });
    const store = createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName);
    expect((await store.get(sessionId))?.endedAt).toBe(time.clock().getTime());
  });
});
