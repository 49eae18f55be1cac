import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent, type ProxyHandler } from '#test/support/events.ts';
import { createSessionHandlers, manualClock } from '#test/support/handler.ts';
import { sessionRequest, sidOf } from '#test/support/session-requests.ts';
import { verifyWithTestKeys } from '#test/support/verify.ts';

const INVALID = '{"ok":false,"error":"Invalid or expired refresh token","code":"invalid_refresh_token"}';

describe('POST /api/auth/refresh against DynamoDB Local', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;
  let time: ReturnType<typeof manualClock>;

  const login = async (emailOrUsername = 'fan') => {
    const response = await invoke(handlers.login, jsonLoginEvent({ emailOrUsername, password: 'secret123' }));
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data as { token: string; refreshToken: string; expiresIn: number };
  };
  const refresh = (refreshToken: unknown, handler: ProxyHandler = handlers.refresh) =>
    sessionRequest(handler, { path: '/api/auth/refresh', body: { refreshToken } });
  const me = (token: string) => sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token });
  const sessionItem = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('fan', { id: 'fan' });
    await tables.createUser('gone', { id: 'gone' });
  });

  beforeEach(() => {
    // A fresh clock per test (the handlers read it), starting now so the verifier agrees.
    time = manualClock(new Date());
    handlers = createSessionHandlers(tables.env, time.clock);
  });

  afterAll(() => tables.drop());

  it('rotates: a new token and refresh token, the same shapes as login, and the old one is no longer current', async () => {
    const first = await login();
    const response = await refresh(first.refreshToken);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual(API_RESPONSE_HEADERS);
    const { data } = JSON.parse(response.body);
    expect(Object.keys(data).sort()).toEqual(['expiresIn', 'refreshToken', 'token', 'user']);
    expect(data.expiresIn).toBe(900);
    expect(data.user).toMatchObject({ id: 'fan', username: 'fan' });
    expect(data.user).not.toHaveProperty('passwordHash');
    const sid = sidOf(first.token);
    expect(data.refreshToken).toMatch(new RegExp(`^${sid}\\.1\\.`));
    const { payload } = await verifyWithTestKeys(data.token);
    expect(payload).toMatchObject({ sub: 'fan', sid });
    expect((await me(data.token)).statusCode).toBe(200);
    // The next refresh uses the new token; the item moved on by one generation.
    expect((await refresh(data.refreshToken)).statusCode).toBe(200);
    expect(await sessionItem(sid)).toMatchObject({ generation: 2 });
  });

  it('answers a retry within the grace period with the identical current token, without rotating', async () => {
    const first = await login();
    const rotated = JSON.parse((await refresh(first.refreshToken)).body).data.refreshToken;
    time.advance(29);
    const retried = await refresh(first.refreshToken);
    expect(retried.statusCode).toBe(200);
    expect(JSON.parse(retried.body).data.refreshToken).toBe(rotated);
    expect(await sessionItem(sidOf(first.token))).toMatchObject({ generation: 1 });
  });

  it('gives 20 concurrent refreshes with one token the same new token, after exactly one rotation', async () => {
    const first = await login();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refreshToken)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    const tokens = new Set(responses.map((r) => JSON.parse(r.body).data.refreshToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(new RegExp(`^${sidOf(first.token)}\\.1\\.`));
    expect(await sessionItem(sidOf(first.token))).toMatchObject({ generation: 1 });
  });

  it('treats the previous token after the grace period as reuse: 401, and the whole session ends', async () => {
    const first = await login();
    const current = JSON.parse((await refresh(first.refreshToken)).body).data;
    time.advance(31);
    const reused = await refresh(first.refreshToken);
    expect(reused).toStrictEqual({ statusCode: 401, headers: API_RESPONSE_HEADERS, body: INVALID });
    // The newest token fails too, and so does the session's access token at /me.
    expect((await refresh(current.refreshToken)).body).toBe(INVALID);
    expect((await me(current.token)).statusCode).toBe(401);
    expect(await sessionItem(sidOf(first.token))).toHaveProperty('endedAt');
  });

  it('treats an older generation as reuse at once, within the grace period too', async () => {
    const g0 = await login();
    const g1 = JSON.parse((await refresh(g0.refreshToken)).body).data;
    const g2 = JSON.parse((await refresh(g1.refreshToken)).body).data;
    expect((await refresh(g0.refreshToken)).body).toBe(INVALID);
    expect((await refresh(g2.refreshToken)).body).toBe(INVALID);
  });

  it('ends a session 15 days after its last refresh (idle), whatever DynamoDB TTL did', async () => {
    const first = await login();
    time.advance(14 * 86_400);
    const second = JSON.parse((await refresh(first.refreshToken)).body).data;
    time.advance(15 * 86_400 - 1);
    const third = JSON.parse((await refresh(second.refreshToken)).body).data;
    time.advance(15 * 86_400);
    expect((await refresh(third.refreshToken)).body).toBe(INVALID);
  });

  it('ends a session 30 days after its login, however often it was refreshed', async () => {
    let { refreshToken } = await login();
    for (const day of [7, 14, 21, 28]) {
      time.advance(7 * 86_400);
      const response = await refresh(refreshToken);
      expect(response.statusCode, `day ${day}`).toBe(200);
      ({ refreshToken } = JSON.parse(response.body).data);
    }
    time.advance(2 * 86_400 - 1);
    const lastSecond = await refresh(refreshToken);
    expect(lastSecond.statusCode).toBe(200);
    time.advance(1);
    expect((await refresh(JSON.parse(lastSecond.body).data.refreshToken)).body).toBe(INVALID);
  });

  it('answers the same 401, byte for byte, to every kind of bad token', async () => {
    const first = await login();
    const gone = await login('gone');
    await tables.client.send(
      new UpdateCommand({
        TableName: tables.usersTableName,
        Key: { id: 'gone' },
        // No longer a usable user, by what refresh may read of it (never the password hash).
        UpdateExpression: 'REMOVE email',
      }),
    );
    const [sid, , keyId, mac] = first.refreshToken.split('.');
    const forged = `${sid}.0.${'A'.repeat(43)}`;
    const future = `${sid}.7.${keyId}.${mac}`;
    const unknown = `${'B'.repeat(22)}.0.${keyId}.${mac}`;
    for (const bad of ['not-a-token', forged, future, unknown, gone.refreshToken, `${first.refreshToken}x`]) {
      expect(await refresh(bad), bad).toStrictEqual({ statusCode: 401, headers: API_RESPONSE_HEADERS, body: INVALID });
    }
    // None of that touched the real session.
    expect((await refresh(first.refreshToken)).statusCode).toBe(200);
  });

  it.each([
    ['a missing refreshToken', {}, 'refreshToken is required'],
    ['a refreshToken that is not a string', { refreshToken: 42 }, 'refreshToken must be a string'],
    ['an empty refreshToken', { refreshToken: '' }, 'refreshToken must not be empty'],
    [
      'a refreshToken over 512 characters',
      { refreshToken: 'a'.repeat(513) },
      'refreshToken must be at most 512 characters',
    ],
    ['a body that is not an object', [1], 'Request body must be a JSON object'],
    ['a body that is not JSON', '{', 'Request body must be valid JSON'],
  ])('answers 400 to %s', async (_, body, message) => {
    const response = await sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body });
    expect(response).toStrictEqual({
      statusCode: 400,
      headers: API_RESPONSE_HEADERS,
      body: JSON.stringify({ ok: false, error: message, code: 'invalid_request' }),
    });
  });

  it('answers 415 to a body that is not JSON by its Content-Type', async () => {
    const response = await sessionRequest(handlers.refresh, {
      path: '/api/auth/refresh',
      body: '{"refreshToken":"x"}',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(response.statusCode).toBe(415);
    expect(JSON.parse(response.body)).toEqual({
      ok: false,
      error: 'Content-Type must be application/json',
      code: 'unsupported_media_type',
    });
  });
});
