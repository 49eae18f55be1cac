import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { HTTP_PATHS, HTTP_ROUTES } from '#lib/http/routes.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createSessionHandlers, manualClock } from '#test/support/handler.ts';
import { sessionRequest, sidOf } from '#test/support/session-requests.ts';
import { testUserAdmin } from '#test/support/users.ts';

const OK_EMPTY = { statusCode: 200, headers: API_RESPONSE_HEADERS, body: '{"ok":true,"data":{}}' };
const NOT_FOUND = {
  statusCode: 404,
  headers: API_RESPONSE_HEADERS,
  body: '{"ok":false,"error":"Session not found","code":"not_found"}',
};

interface Tokens {
  token: string;
  refreshToken: string;
}

describe('logout, logout everywhere and the session list, against DynamoDB Local', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;
  let time: ReturnType<typeof manualClock>;

  const login = async (user: string, userAgent = 'test-agent', password = 'secret123'): Promise<Tokens> => {
    const response = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: user, password }), {
        'Content-Type': 'application/json',
        'User-Agent': userAgent,
      }),
    );
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data;
  };
  /** A POST to the function the route table names for it (logout is the refresh function's). */
  const post = (path: string, options: { body?: unknown; token?: string } = {}) => {
    const route = HTTP_ROUTES.find((row) => row.method === 'POST' && row.path === path);
    if (route?.function !== 'refresh' && route?.function !== 'sessions') throw new Error(`no session route ${path}`);
    return sessionRequest(handlers[route.function], { path, ...options });
  };
  const refresh = async (refreshToken: string) =>
    (await sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } })).statusCode;
  const me = async (token: string) =>
    (await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token })).statusCode;
  const list = async (token: string) => {
    const response = await sessionRequest(handlers.sessions, { method: 'GET', path: '/api/auth/sessions', token });
    return { response, sessions: JSON.parse(response.body).data?.sessions };
  };
  const remove = (token: string, id: string) =>
    sessionRequest(handlers.sessions, {
      method: 'DELETE',
      path: `/api/auth/sessions/${id}`,
      resource: '/api/auth/sessions/{id}',
      pathParameters: { id },
      token,
    });
  const sessionItem = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve']) {
      await tables.createUser(id, { id });
    }
  });

  beforeEach(() => {
    time = manualClock(new Date());
    handlers = createSessionHandlers(tables.env, time.clock);
  });

  afterAll(() => tables.drop());

  it('logs out by refresh token: the session ends for refresh and /me, and a second logout is still 200', async () => {
    const session = await login('ann');
    expect(await post('/api/auth/logout', { body: { refreshToken: session.refreshToken } })).toStrictEqual(OK_EMPTY);
    expect(await refresh(session.refreshToken)).toBe(401);
    expect(await me(session.token)).toBe(401);
    expect(await post('/api/auth/logout', { body: { refreshToken: session.refreshToken } })).toStrictEqual(OK_EMPTY);
  });

  it('logs out by access token (its sid) with no body, idempotently', async () => {
    const session = await login('ann');
    const other = await login('ann');
    expect(await post('/api/auth/logout', { token: session.token })).toStrictEqual(OK_EMPTY);
    expect(await refresh(session.refreshToken)).toBe(401);
    expect(await me(session.token)).toBe(401);
    expect(await post('/api/auth/logout', { token: session.token })).toStrictEqual(OK_EMPTY);
    // Only that session: another device of the same user carries on.
    expect(await me(other.token)).toBe(200);
  });

  it('answers 200 to the logout of an unknown, malformed or forged refresh token, and ends nothing', async () => {
    const session = await login('ann');
    const [sid] = session.refreshToken.split('.');
    for (const refreshToken of [
      'no-such-token',
      `${'C'.repeat(22)}.0.${'D'.repeat(43)}`,
      `${sid}.0.${'E'.repeat(43)}`,
    ]) {
      expect(await post('/api/auth/logout', { body: { refreshToken } })).toStrictEqual(OK_EMPTY);
    }
    expect(await refresh(session.refreshToken)).toBe(200);
  });

  it('serves logout from the refresh function, which holds the refresh key; the sessions function, which does not, answers 404', async () => {
    const session = await login('ann');
    expect(HTTP_ROUTES.find((route) => route.path === HTTP_PATHS.logout)?.function).toBe('refresh');
    const stray = await sessionRequest(handlers.sessions, {
      path: HTTP_PATHS.logout,
      body: { refreshToken: session.refreshToken },
    });
    expect(stray.statusCode).toBe(404);
    expect(await refresh(session.refreshToken)).toBe(200);
  });

  it('answers 400 to a logout body without a usable refreshToken, and 401 to no body and no token', async () => {
    expect((await post('/api/auth/logout', { body: { refreshToken: 1 } })).statusCode).toBe(400);
    expect((await post('/api/auth/logout', { body: [] })).statusCode).toBe(400);
    expect((await post('/api/auth/logout', { body: '{' })).statusCode).toBe(400);
    expect((await post('/api/auth/logout')).statusCode).toBe(401);
    // A body is JSON, as it was on the sessions function.
    const form = await sessionRequest(handlers.refresh, {
      path: HTTP_PATHS.logout,
      body: 'refreshToken=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.statusCode).toBe(415);
  });

  it('logs out everywhere: every session of the user ends, /me refuses their access tokens, other users carry on', async () => {
    const sessions = [await login('bob'), await login('bob'), await login('bob')];
    const bystander = await login('cat');
    expect(await post('/api/auth/logout-all', { token: sessions[1]!.token })).toStrictEqual(OK_EMPTY);
    for (const session of sessions) {
      expect(await me(session.token)).toBe(401);
      expect(await refresh(session.refreshToken)).toBe(401);
    }
    expect((await list(sessions[0]!.token)).response.statusCode).toBe(401);
    expect(await me(bystander.token)).toBe(200);
    // A login afterwards starts a live session again.
    time.advance(1);
    const fresh = await login('bob');
    expect(await me(fresh.token)).toBe(200);
    expect((await list(fresh.token)).sessions).toHaveLength(1);
  });

  it('lists the live sessions newest first, marking the current one, with nothing but the documented fields', async () => {
    const older = await login('dan', 'Firefox/1');
    time.advance(5);
    const ended = await login('dan', 'Ended/1');
    time.advance(5);
    const newer = await login('dan', `Phone/${'x'.repeat(300)}`);
    await post('/api/auth/logout', { body: { refreshToken: ended.refreshToken } });
    const { response, sessions } = await list(older.token);
    expect(response.headers).toEqual(API_RESPONSE_HEADERS);
    expect(sessions.map((s: { id: string }) => s.id)).toEqual([sidOf(newer.token), sidOf(older.token)]);
    const [first, second] = sessions;
    expect(Object.keys(first).sort()).toEqual([
      'createdAt',
      'current',
      'expiresAt',
      'id',
      'lastUsedAt',
      'startedBy',
      'userAgent',
    ]);
    expect(first).toMatchObject({ current: false, userAgent: `Phone/${'x'.repeat(250)}` });
    expect(second).toMatchObject({ current: true, userAgent: 'Firefox/1', startedBy: 'password' });
    const created = Date.parse(second.createdAt);
    expect(second.createdAt).toBe(new Date(created).toISOString());
    // Idle end first: 15 days after the last use, well before the 30-day end.
    expect(Date.parse(second.expiresAt) - Date.parse(second.lastUsedAt)).toBe(15 * 86_400 * 1000);
  });

  it("deletes one of the caller's own sessions", async () => {
    const mine = await login('eve');
    const other = await login('eve');
    expect(await remove(mine.token, sidOf(other.token))).toStrictEqual(OK_EMPTY);
    expect(await me(other.token)).toBe(401);
    expect(await refresh(other.refreshToken)).toBe(401);
    expect(await me(mine.token)).toBe(200);
    // Gone from the list, and a second delete finds nothing.
    expect(await remove(mine.token, sidOf(other.token))).toStrictEqual(NOT_FOUND);
  });

  it("answers the same 404 for another user's session and for none, and changes nothing", async () => {
    const mine = await login('eve');
    const theirs = await login('ann');
    const before = await sessionItem(sidOf(theirs.token));
    expect(await remove(mine.token, sidOf(theirs.token))).toStrictEqual(NOT_FOUND);
    expect(await remove(mine.token, 'F'.repeat(22))).toStrictEqual(NOT_FOUND);
    expect(await remove(mine.token, '..')).toStrictEqual(NOT_FOUND);
    expect(await sessionItem(sidOf(theirs.token))).toEqual(before);
    expect(await me(theirs.token)).toBe(200);
  });

  it('ends every session of a user whose password an operator changes (rehash on login does not)', async () => {
    const sessions = [await login('cat'), await login('cat')];
    time.advance(1);
    await testUserAdmin(tables, time.clock).setPassword('cat', 'a brand new passphrase of mine');
    for (const session of sessions) {
      expect(await me(session.token)).toBe(401);
      expect(await refresh(session.refreshToken)).toBe(401);
    }
    time.advance(1);
    expect(await me((await login('cat', 'agent', 'a brand new passphrase of mine')).token)).toBe(200);
  });

  it('keeps at most MAX_SESSIONS_PER_USER live sessions: a login beyond that ends the oldest', async () => {
    await tables.createUser('cap', { id: 'cap' });
    handlers = createSessionHandlers({ ...tables.env, MAX_SESSIONS_PER_USER: '3' }, time.clock);
    const sessions: Tokens[] = [];
    for (let i = 0; i < 5; i += 1) {
      time.advance(1);
      sessions.push(await login('cap'));
    }
    const statuses = await Promise.all(sessions.map((s) => me(s.token)));
    expect(statuses).toEqual([401, 401, 200, 200, 200]);
    expect((await list(sessions[4]!.token)).sessions).toHaveLength(3);
  });

  it('keeps no refresh token, and nothing a token could be made from without the key, in the table', async () => {
    const session = await login('ann');
    const { Items = [] } = await tables.client.send(new ScanCommand({ TableName: tables.sessionsTableName }));
    const stored = JSON.stringify(Items);
    const mac = session.refreshToken.split('.').at(-1)!;
    expect(stored).not.toContain(mac);
    expect(stored).not.toContain(session.refreshToken);
  });
});
