import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent, type ProxyHandler } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest, sidOf } from '#test/support/session-requests.ts';
import { verifyWithTestKeys } from '#test/support/verify.ts';

const OLD = 'my old and trusty passphrase';
const NEW = 'a fresh passphrase for the new year';
const LOGIN_401 = {
  statusCode: 401,
  headers: API_RESPONSE_HEADERS,
  body: '{"ok":false,"error":"Invalid email, username or password","code":"invalid_credentials"}',
};

/** Loads the real handler module, as Lambda does, with `env` as its environment. */
const loadHandler = async (env: Record<string, string>): Promise<ProxyHandler> => {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  const { handler } = await import('#functions/password/handler.ts');
  return handler as ProxyHandler;
};

describe('POST /api/auth/password, against DynamoDB Local', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;
  let password: ProxyHandler;

  const login = async (user: string, secret = OLD, deviceToken?: string, clientId?: string) => {
    const response = await invoke(
      handlers.login,
      loginEvent(
        JSON.stringify({
          emailOrUsername: user,
          password: secret,
          ...(deviceToken && { deviceToken }),
          ...(clientId && { clientId }),
        }),
        {
          'Content-Type': 'application/json',
        },
      ),
    );
    return {
      response,
      data: JSON.parse(response.body).data as { token: string; refreshToken: string; deviceToken: string },
    };
  };
  const change = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    sessionRequest(password, { path: '/api/auth/password', token, body, headers });
  const me = async (token: string) =>
    (await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token })).statusCode;
  const refresh = async (refreshToken: string) =>
    (await sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } })).statusCode;
  const stored = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus'])
      await tables.createUser(id, { id, password: OLD });
    const env = { ...tables.env, THROTTLE_MAX_FAILURES: '3', CLIENT_IDS: 'movie-knight-app,tv-app' };
    handlers = createSessionHandlers(env);
    password = await loadHandler(env);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await tables.drop();
  });

  it('changes the password: the answer is a login’s, and every earlier session (another device’s too) ends at once', async () => {
    const phone = await login('ann');
    const laptop = await login('ann');
    const response = await change(laptop.data.token, { currentPassword: OLD, newPassword: NEW });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject(API_RESPONSE_HEADERS);
    const grant = JSON.parse(response.body).data;
    expect(Object.keys(grant).sort()).toEqual(['deviceToken', 'expiresIn', 'refreshToken', 'token', 'user']);
    expect(grant.user.id).toBe('ann');
    // The phone and the laptop's old session: over, for /me and refresh alike.
    for (const device of [phone, laptop]) {
      expect(await me(device.data.token)).toBe(401);
      expect(await refresh(device.data.refreshToken)).toBe(401);
    }
    // The caller goes on with the new session; the old password is gone, the new one works.
    expect(await me(grant.token)).toBe(200);
    expect(sidOf(grant.token)).not.toBe(sidOf(laptop.data.token));
    expect(await refresh(grant.refreshToken)).toBe(200);
    expect((await login('ann')).response).toEqual(LOGIN_401);
    expect((await login('ann', NEW)).response.statusCode).toBe(200);
  });

  it('keeps the caller’s client: the new session and its tokens are the registered client the old one was', async () => {
    const tv = await login('gus', OLD, undefined, 'tv-app');
    const response = await change(tv.data.token, { currentPassword: OLD, newPassword: NEW });
    expect(response.statusCode).toBe(200);
    const grant = JSON.parse(response.body).data;
    expect((await verifyWithTestKeys(grant.token)).payload.client_id).toBe('tv-app');
    const session = (
      await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id: sidOf(grant.token) } }))
    ).Item;
    expect(session).toMatchObject({ clientId: 'tv-app' });
  });

  it('ends every device token of the user, and hands the caller a new one that is trusted', async () => {
    const phone = await login('eve');
    const laptop = await login('eve');
    const response = await change(laptop.data.token, { currentPassword: OLD, newPassword: NEW });
    expect(response.statusCode).toBe(200);
    const grant = JSON.parse(response.body).data;
    // Lock the email as an attacker would: three wrong passwords (this suite's throttle).
    for (let i = 0; i < 3; i += 1) expect((await login('eve@example.com', `guess-${i}`)).response.statusCode).toBe(401);
    const locked = (await login('eve@example.com', NEW)).response;
    expect(locked.statusCode).toBe(429);
    // The device tokens from before the change are no one's key now: the same 429 as none.
    for (const device of [phone, laptop]) {
      const { statusCode, body } = (await login('eve@example.com', NEW, device.data.deviceToken)).response;
      expect({ statusCode, body }).toEqual({ statusCode: 429, body: locked.body });
    }
    // The caller's new device token is trusted: its owner gets in past the lock.
    expect((await login('eve@example.com', NEW, grant.deviceToken)).response.statusCode).toBe(200);
  });

  it('answers a wrong current password with the login’s 401, byte for byte, counted with the logins by email', async () => {
    const { data } = await login('bob');
    const before = await stored('bob');
    // The session's own budget (DEVICE_MAX_FAILURES, 5); the first three also lock the email (3 here).
    for (let i = 0; i < 5; i += 1) {
      expect(await change(data.token, { currentPassword: 'not my passphrase', newPassword: NEW })).toEqual(LOGIN_401);
    }
    // This session can change no password now, and a login by email is locked: a stolen access
    // token was worth five guesses.
    const refused = await change(data.token, { currentPassword: OLD, newPassword: NEW });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers?.['Retry-After'])).toBeGreaterThan(0);
    const byEmail = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: 'bob@example.com', password: OLD }), {
        'Content-Type': 'application/json',
      }),
    );
    expect(byEmail.statusCode).toBe(429);
    expect(await stored('bob')).toEqual(before);
  });

  it('lets the owner change the password while an attacker keeps the email locked', async () => {
    const { data } = await login('fay');
    for (let i = 0; i < 3; i += 1) expect((await login('fay@example.com', `guess-${i}`)).response.statusCode).toBe(401);
    expect((await login('fay@example.com')).response.statusCode).toBe(429);
    const response = await change(data.token, { currentPassword: OLD, newPassword: NEW });
    expect(response.statusCode).toBe(200);
  });

  it('answers a policy failure with a 400 that names the rule, and changes nothing', async () => {
    const { data } = await login('cat');
    const before = await stored('cat');
    const cases: [string, string][] = [
      ['short', 'newPassword must be at least 15 characters'],
      ['passwordpassword', 'newPassword is too easy to guess'],
      ['cat@example.com 2024', 'newPassword is built from your email, username or name'],
      [OLD, 'newPassword must differ from currentPassword'],
    ];
    for (const [newPassword, message] of cases) {
      const response = await change(data.token, { currentPassword: OLD, newPassword });
      expect(response.statusCode).toBe(400);
      expect(response.headers).toMatchObject(API_RESPONSE_HEADERS);
      expect(JSON.parse(response.body)).toEqual({
        ok: false,
        error: expect.stringContaining(message),
        code: 'invalid_request',
      });
    }
    expect(await stored('cat')).toEqual(before);
    expect(await me(data.token)).toBe(200);
  });

  it('answers the bad-input envelopes before any work, and the Bearer routes’ 401 for a missing or ended token', async () => {
    const { data } = await login('dan');
    const statusOf = async (...args: Parameters<typeof change>) => (await change(...args)).statusCode;
    expect(await statusOf(data.token, { currentPassword: OLD })).toBe(400);
    expect(await statusOf(data.token, { currentPassword: OLD, newPassword: 42 })).toBe(400);
    expect(await statusOf(data.token, [OLD, NEW])).toBe(400);
    expect(await statusOf(data.token, { currentPassword: OLD, newPassword: 'x'.repeat(1025) })).toBe(400);
    expect(await statusOf(data.token, 'x'.repeat(9000))).toBe(413);
    expect(await statusOf(data.token, 'a=b', { 'Content-Type': 'application/x-www-form-urlencoded' })).toBe(415);
    const noToken = await change(undefined, { currentPassword: OLD, newPassword: NEW });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.headers?.['WWW-Authenticate']).toBe('Bearer realm="movie-knight"');
    await sessionRequest(handlers.sessions, { path: '/api/auth/logout-all', token: data.token });
    const ended = await change(data.token, { currentPassword: OLD, newPassword: NEW });
    expect(ended).toMatchObject({
      statusCode: 401,
      body: '{"ok":false,"error":"The token is invalid or has expired","code":"invalid_token"}',
    });
    expect(ended.headers?.['WWW-Authenticate']).toContain('error="invalid_token"');
    expect((await login('dan')).response.statusCode).toBe(200);
  });
});
