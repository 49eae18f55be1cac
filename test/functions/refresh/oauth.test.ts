import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRefreshHandler } from '#functions/refresh/create-handler.ts';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent, type ProxyHandler } from '#test/support/events.ts';
import { createSessionHandlers, manualClock } from '#test/support/handler.ts';
import { sessionRequest, sidOf } from '#test/support/session-requests.ts';
import { verifyWithTestKeys } from '#test/support/verify.ts';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const CLIENT = 'movie-knight-app';
const INVALID_GRANT = JSON.stringify({
  ok: false,
  error: 'invalid_grant',
  error_description: 'The refresh token is invalid, expired or revoked',
  code: 'invalid_grant',
});

const form = (fields: Record<string, string> | [string, string][]) => new URLSearchParams(fields).toString();

describe('RFC 6749 token endpoint and RFC 7009 revocation, in the refresh function, against DynamoDB Local', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;
  let time: ReturnType<typeof manualClock>;

  const login = async () => {
    const response = await invoke(handlers.login, jsonLoginEvent({ emailOrUsername: 'fan', password: 'secret123' }));
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data as { token: string; refreshToken: string };
  };
  const post = (path: string, body: string, headers: Record<string, string> = FORM, handler = handlers.refresh) =>
    sessionRequest(handler, { path, body, headers });
  const token = (refreshToken: string, extra: Record<string, string> = {}) =>
    post(
      '/api/auth/token',
      form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT, ...extra }),
    );
  const revoke = (value: string, extra: Record<string, string> = {}) =>
    post('/api/auth/revoke', form({ token: value, client_id: CLIENT, ...extra }));
  const jsonRefresh = (refreshToken: string) =>
    sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } });
  const sessionItem = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('fan', { id: 'fan' });
  });

  beforeEach(() => {
    time = manualClock(new Date());
    handlers = createSessionHandlers(tables.env, time.clock);
  });

  afterAll(() => tables.drop());

  it('answers the refresh grant as RFC 6749 section 5.1 says: Bearer, expires_in, the rotated refresh token, no-store', async () => {
    const first = await login();
    const response = await token(first.refreshToken);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual(API_RESPONSE_HEADERS);
    const body = JSON.parse(response.body);
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(body.refresh_token).toMatch(new RegExp(`^${sidOf(first.token)}\\.1\\.`));
    const { payload } = await verifyWithTestKeys(body.access_token);
    expect(payload).toMatchObject({ sub: 'fan', sid: sidOf(first.token), client_id: CLIENT });
  });

  it("keeps the JSON route's rules, one session for both: a retry in the grace period, then reuse ends it", async () => {
    const first = await login();
    const viaForm = JSON.parse((await token(first.refreshToken)).body).refresh_token;
    // A retry of the spent token within the grace period, on the other encoding: the same token.
    time.advance(10);
    expect(JSON.parse((await jsonRefresh(first.refreshToken)).body).data.refreshToken).toBe(viaForm);
    expect(await sessionItem(sidOf(first.token))).toMatchObject({ generation: 1 });
    // After the grace period it is reuse: invalid_grant, and the newest token dies with the session.
    time.advance(30);
    expect(await token(first.refreshToken)).toStrictEqual({
      statusCode: 400,
      headers: API_RESPONSE_HEADERS,
      body: INVALID_GRANT,
    });
    expect((await jsonRefresh(viaForm)).statusCode).toBe(401);
    expect(await sessionItem(sidOf(first.token))).toHaveProperty('endedAt');
  });

  it('gives 10 concurrent grants with one token the one new token, after exactly one rotation', async () => {
    const first = await login();
    const responses = await Promise.all(Array.from({ length: 10 }, () => token(first.refreshToken)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map((response) => JSON.parse(response.body).refresh_token)).size).toBe(1);
    expect(await sessionItem(sidOf(first.token))).toMatchObject({ generation: 1 });
  });

  it('answers every bad refresh token with one byte-identical invalid_grant', async () => {
    const first = await login();
    const [sid, , keyId, mac] = first.refreshToken.split('.');
    for (const bad of [
      'not-a-token',
      `${sid}.0.${'A'.repeat(43)}`,
      `${sid}.7.${keyId}.${mac}`,
      `${'B'.repeat(22)}.0.${keyId}.${mac}`,
    ]) {
      expect(await token(bad), bad).toStrictEqual({
        statusCode: 400,
        headers: API_RESPONSE_HEADERS,
        body: INVALID_GRANT,
      });
    }
    expect((await token(first.refreshToken)).statusCode).toBe(200);
  });

  it("refuses another registered client's session with the same invalid_grant, and leaves it alone", async () => {
    const two = createSessionHandlers({ ...tables.env, CLIENT_IDS: `${CLIENT},tv-app` }, time.clock);
    const first = await login();
    const body = form({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: 'tv-app' });
    expect((await post('/api/auth/token', body, FORM, two.refresh)).body).toBe(INVALID_GRANT);
    expect(await sessionItem(sidOf(first.token))).toMatchObject({ generation: 0 });
    expect(await sessionItem(sidOf(first.token))).not.toHaveProperty('endedAt');
  });

  it('binds a session to the registered client a login names: its tokens say so, and only that client may refresh it', async () => {
    const two = createSessionHandlers({ ...tables.env, CLIENT_IDS: `${CLIENT},tv-app` }, time.clock);
    const signIn = (clientId: string) =>
      invoke(two.login, jsonLoginEvent({ emailOrUsername: 'fan', password: 'secret123', clientId }));
    const unknown = await signIn('evil-app');
    expect(JSON.parse(unknown.body)).toEqual({
      ok: false,
      error: 'clientId is not a registered client',
      code: 'invalid_request',
    });
    const tv = JSON.parse((await signIn('tv-app')).body).data as { token: string; refreshToken: string };
    expect((await verifyWithTestKeys(tv.token)).payload.client_id).toBe('tv-app');
    expect(await sessionItem(sidOf(tv.token))).toMatchObject({ clientId: 'tv-app' });
    const grant = (clientId: string, refreshToken: string) =>
      post(
        '/api/auth/token',
        form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
        FORM,
        two.refresh,
      );
    expect((await grant(CLIENT, tv.refreshToken)).body).toBe(INVALID_GRANT);
    const rotated = JSON.parse((await grant('tv-app', tv.refreshToken)).body);
    expect((await verifyWithTestKeys(rotated.access_token)).payload.client_id).toBe('tv-app');
  });

  const oauthError = (statusCode: number, error: string, description: string) => ({
    statusCode,
    body: JSON.stringify({ ok: false, error, error_description: description, code: error }),
  });

  it.each<[string, string, Record<string, string>, ReturnType<typeof oauthError>]>([
    [
      'a JSON body',
      '{"grant_type":"refresh_token"}',
      { 'Content-Type': 'application/json' },
      oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded'),
    ],
    [
      'no body type',
      form({ grant_type: 'refresh_token' }),
      {},
      oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded'),
    ],
    [
      'no grant_type',
      form({ refresh_token: 'x', client_id: CLIENT }),
      FORM,
      oauthError(400, 'invalid_request', 'grant_type is required'),
    ],
    [
      'the password grant',
      form({ grant_type: 'password', username: 'fan', password: 'secret123', client_id: CLIENT }),
      FORM,
      oauthError(400, 'unsupported_grant_type', 'Only the refresh_token grant is supported'),
    ],
    [
      'a repeated refresh_token',
      form([
        ['grant_type', 'refresh_token'],
        ['refresh_token', 'a'],
        ['refresh_token', 'b'],
        ['client_id', CLIENT],
      ]),
      FORM,
      oauthError(400, 'invalid_request', 'refresh_token must not be repeated'),
    ],
    [
      'a repeated grant_type',
      form([
        ['grant_type', 'refresh_token'],
        ['grant_type', 'refresh_token'],
      ]),
      FORM,
      oauthError(400, 'invalid_request', 'grant_type must not be repeated'),
    ],
    [
      'no refresh_token',
      form({ grant_type: 'refresh_token', client_id: CLIENT }),
      FORM,
      oauthError(400, 'invalid_request', 'refresh_token is required'),
    ],
    [
      'a refresh_token over 512 characters',
      form({ grant_type: 'refresh_token', refresh_token: 'a'.repeat(513), client_id: CLIENT }),
      FORM,
      oauthError(400, 'invalid_request', 'refresh_token must be at most 512 characters'),
    ],
    [
      'a scope',
      form({ grant_type: 'refresh_token', refresh_token: 'x', client_id: CLIENT, scope: 'admin' }),
      FORM,
      oauthError(400, 'invalid_scope', 'No scopes are defined'),
    ],
    [
      'no client_id',
      form({ grant_type: 'refresh_token', refresh_token: 'x' }),
      FORM,
      oauthError(401, 'invalid_client', 'client_id is required'),
    ],
    [
      'an unknown client_id',
      form({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'evil' }),
      FORM,
      oauthError(401, 'invalid_client', 'Unknown client'),
    ],
    [
      'a client secret',
      form({ grant_type: 'refresh_token', refresh_token: 'x', client_id: CLIENT, client_secret: 's' }),
      FORM,
      oauthError(401, 'invalid_client', 'Clients do not authenticate here: send client_id alone'),
    ],
    [
      'a body nested like JSON, declared JSON',
      `${'['.repeat(20)}`,
      { 'Content-Type': 'application/json' },
      oauthError(400, 'invalid_request', 'Request body is nested too deeply'),
    ],
  ])('refuses %s before any work, as RFC 6749 section 5.2 says', async (_, body, headers, expected) => {
    const refresh = vi.fn();
    const revoke = vi.fn();
    const logger = new Logger({ logLevel: 'SILENT' });
    const logoutByAccessToken = vi.fn();
    const verify = vi.fn();
    const handler = createRefreshHandler({
      refresh,
      revoke,
      logoutByAccessToken,
      verify,
      clientIds: [CLIENT],
      telemetry: createSessionTelemetry(logger),
      logger,
      metrics: new Metrics({ namespace: 'MovieKnightAuthTest' }),
      corsAllowedOrigins: [],
    }) as ProxyHandler;
    const response = await post('/api/auth/token', body, headers, handler);
    expect(response).toMatchObject(expected);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Content-Type': 'application/json' });
    // Nothing was read: no session, no MAC, no signing key.
    expect(refresh).not.toHaveBeenCalled();
    expect(revoke).not.toHaveBeenCalled();
    expect(verify).not.toHaveBeenCalled();
  });

  it('answers an Authorization header with 401 invalid_client and a challenge in its scheme', async () => {
    const first = await login();
    const response = await post(
      '/api/auth/token',
      form({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: CLIENT }),
      { ...FORM, Authorization: `Basic ${Buffer.from(`${CLIENT}:secret`).toString('base64')}` },
    );
    expect(response.statusCode).toBe(401);
    expect(response.headers).toMatchObject({ 'WWW-Authenticate': 'Basic realm="movie-knight"' });
    expect(JSON.parse(response.body).error).toBe('invalid_client');
  });

  it('names the scheme a client tried in its challenge, Basic for one it cannot name, and none for a client_secret', async () => {
    const first = await login();
    const body = form({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: CLIENT });
    const challenge = async (authorization: string) =>
      (await post('/api/auth/token', body, { ...FORM, Authorization: authorization })).headers?.['WWW-Authenticate'];
    expect(await challenge('  Bearer abc.def.ghi')).toBe('Bearer realm="movie-knight"');
    expect(await challenge('DPoP\tproof')).toBe('DPoP realm="movie-knight"');
    expect(await challenge('<script> x')).toBe('Basic realm="movie-knight"');
    const secret = await post('/api/auth/token', `${body}&client_secret=s`);
    expect(secret.statusCode).toBe(401);
    expect(secret.headers).not.toHaveProperty('WWW-Authenticate');
    // None of them was a grant: the token still works.
    expect((await token(first.refreshToken)).statusCode).toBe(200);
  });

  it('reads the media type whatever its case and parameters, and refuses an event without headers as not a form', async () => {
    const first = await login();
    const body = form({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: CLIENT });
    const typed = await post('/api/auth/token', body, {
      'Content-Type': 'Application/X-WWW-Form-URLEncoded ; charset=UTF-8',
    });
    expect(typed.statusCode).toBe(200);
    const event = toApiGatewayEvent({ method: 'POST', path: '/api/auth/token', headers: FORM, body });
    const response = await invoke(handlers.refresh, { ...event, headers: null, multiValueHeaders: null } as never);
    expect(response).toMatchObject(
      oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded'),
    );
  });

  it('reads a base64-encoded form, as API Gateway may send one', async () => {
    const first = await login();
    const body = form({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: CLIENT });
    const event = toApiGatewayEvent({ method: 'POST', path: '/api/auth/token', headers: FORM, body });
    const response = await invoke(handlers.refresh, {
      ...event,
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });
    expect(response.statusCode).toBe(200);
  });

  it('revokes: the session of a genuine refresh token ends, for both encodings and /me, and a second revoke is 200 too', async () => {
    const first = await login();
    const response = await revoke(first.refreshToken, { token_type_hint: 'refresh_token' });
    expect(response).toStrictEqual({
      statusCode: 200,
      headers: API_RESPONSE_HEADERS,
      body: JSON.stringify({ ok: true, data: {} }),
    });
    expect(await sessionItem(sidOf(first.token))).toHaveProperty('endedAt');
    expect((await token(first.refreshToken)).body).toBe(INVALID_GRANT);
    expect((await jsonRefresh(first.refreshToken)).statusCode).toBe(401);
    const me = await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token: first.token });
    expect(me.statusCode).toBe(401);
    expect((await revoke(first.refreshToken)).statusCode).toBe(200);
  });

  it('answers 200 to a token that is not ours, and ends nothing (RFC 7009 section 2.2)', async () => {
    const first = await login();
    const [sid] = first.refreshToken.split('.');
    for (const value of ['nope', `${sid}.0.${'A'.repeat(43)}`, 'x'.repeat(2000)]) {
      expect((await revoke(value)).statusCode, value.slice(0, 30)).toBe(200);
    }
    expect(await sessionItem(sidOf(first.token))).not.toHaveProperty('endedAt');
  });

  it('refuses to revoke an access token (unsupported_token_type), by its shape whatever the hint', async () => {
    const first = await login();
    const expected = JSON.stringify({
      ok: false,
      error: 'unsupported_token_type',
      error_description: 'Only refresh tokens can be revoked; access tokens expire',
      code: 'unsupported_token_type',
    });
    expect((await revoke(first.token)).body).toBe(expected);
    expect((await revoke(first.token, { token_type_hint: 'refresh_token' })).body).toBe(expected);
    expect(await sessionItem(sidOf(first.token))).not.toHaveProperty('endedAt');
  });

  it('revokes a refresh token sent with the hint access_token: the hint decides nothing (RFC 7009 section 2.1)', async () => {
    const first = await login();
    expect((await revoke(first.refreshToken, { token_type_hint: 'access_token' })).statusCode).toBe(200);
    expect(await sessionItem(sidOf(first.token))).toHaveProperty('endedAt');
    expect((await jsonRefresh(first.refreshToken)).statusCode).toBe(401);
    // Junk with either hint: not ours, 200, as without one.
    expect((await revoke('nope', { token_type_hint: 'access_token' })).statusCode).toBe(200);
  });

  it("leaves another client's session alone, with the same 200", async () => {
    const two = createSessionHandlers({ ...tables.env, CLIENT_IDS: `${CLIENT},tv-app` }, time.clock);
    const first = await login();
    const body = form({ token: first.refreshToken, client_id: 'tv-app' });
    expect((await post('/api/auth/revoke', body, FORM, two.refresh)).statusCode).toBe(200);
    expect(await sessionItem(sidOf(first.token))).not.toHaveProperty('endedAt');
  });

  it('refuses a revocation without a registered client or a token', async () => {
    expect(JSON.parse((await post('/api/auth/revoke', form({ token: 'x' }))).body).error).toBe('invalid_client');
    expect(JSON.parse((await post('/api/auth/revoke', form({ client_id: CLIENT }))).body)).toEqual({
      ok: false,
      error: 'invalid_request',
      error_description: 'token is required',
      code: 'invalid_request',
    });
  });
});
