import { createHmac } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createRefreshTokens, parseRefreshToken } from '#lib/sessions/refresh-token.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

const tokensUnder = (key: string) => createRefreshTokens(createSecretReader({ value: key }));
const KEY = 'refresh-key-for-unit-tests-0123456789abcdef';
const SESSION = { sessionId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 3 };
const SALT = 'B'.repeat(43);

describe('refresh tokens', () => {
  it('are <session id>.<generation>.<43-character MAC>, and parse back', async () => {
    const token = await tokensUnder(KEY).issue(SESSION, SALT);
    expect(token).toMatch(/^AAAAAAAAAAAAAAAAAAAAAA\.3\.[A-Za-z0-9_-]{43}$/);
    expect(parseRefreshToken(token)).toEqual({ ...SESSION, mac: token.split('.')[2] });
  });

  it('match only under the same key, salt, session and generation', async () => {
    const tokens = tokensUnder(KEY);
    const parsed = parseRefreshToken(await tokens.issue(SESSION, SALT))!;
    expect(await tokens.matches(parsed, SALT)).toBe(true);
    expect(await tokens.matches(parsed, 'C'.repeat(43))).toBe(false);
    expect(await tokens.matches({ ...parsed, generation: 4 }, SALT)).toBe(false);
    expect(await tokensUnder(`${KEY}x`).matches(parsed, SALT)).toBe(false);
  });

  it.each([
    '',
    'AAAAAAAAAAAAAAAAAAAAAA.3',
    `AAAAAAAAAAAAAAAAAAAAAA.03.${'a'.repeat(43)}`,
    `AAAAAAAAAAAAAAAAAAAAAA.-1.${'a'.repeat(43)}`,
    `AAAAAAAAAAAAAAAAAAAAA.3.${'a'.repeat(43)}`,
    `AAAAAAAAAAAAAAAAAAAAAA.3.${'a'.repeat(44)}`,
    `AAAAAAAAAAAAAAAAAAAAAA.3.${'a'.repeat(42)}=`,
    `AAAAAAAAAAAAAAAAAAAAAA.1e3.${'a'.repeat(43)}`,
  ])('refuse the malformed %j before any lookup', (token) => {
    expect(parseRefreshToken(token)).toBeUndefined();
  });
});

describe('a reader of the sessions table', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('u', { id: 'u' });
    handlers = createSessionHandlers(tables.env);
  });

  afterAll(() => tables.drop());

  it('cannot make a refresh token from a session item alone', async () => {
    const login = await invoke(handlers.login, jsonLoginEvent({ emailOrUsername: 'u', password: 'secret123' }));
    const { refreshToken } = JSON.parse(login.body).data;
    const [sessionId] = refreshToken.split('.');
    const { Item } = await tables.client.send(
      new GetCommand({ TableName: tables.sessionsTableName, Key: { id: sessionId } }),
    );
    expect(Item).toBeDefined();
    const item = Item as Record<string, string | number>;
    // Everything the item holds, tried as the key, and the MAC without a key at all.
    const guesses = [...Object.values(item).map(String), ''].map((key) => {
      const next = Number(item.generation);
      const mac = createHmac('sha256', key)
        .update(`movie-knight-refresh-token/v1\n${sessionId}\n${next}\n${item.salt}`)
        .digest('base64url');
      return `${sessionId}.${next}.${mac}`;
    });
    for (const guess of guesses) {
      const response = await sessionRequest(handlers.refresh, {
        path: '/api/auth/refresh',
        body: { refreshToken: guess },
      });
      expect(response.statusCode).toBe(401);
    }
    // The session itself was not hurt by the guesses (they were not its tokens).
    const genuine = await sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } });
    expect(genuine.statusCode).toBe(200);
  });
});
