import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from '#lib/http/body-limit.ts';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { MAX_IDENTIFIER_LENGTH, MAX_PASSWORD_LENGTH } from '#lib/login/request.ts';
import { createTestTables, TEST_TOKEN_ISSUER, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent, loginEvent, type ProxyHandler } from '#test/support/events.ts';
import { closedPortEndpoint } from '#test/support/fake-dynamodb.ts';
import { createTestHandler } from '#test/support/handler.ts';
import { verifyWithTestKeys } from '#test/support/verify.ts';

const INVALID = '{"ok":false,"error":"Invalid email, username or password","code":"invalid_credentials"}';

/** Loads the real handler module, as Lambda does, with `env` as its environment. */
const loadHandler = async (env: Record<string, string>): Promise<ProxyHandler> => {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  const { handler } = await import('#functions/login/handler.ts');
  return handler as ProxyHandler;
};

describe('login handler', () => {
  let table: TestTables;
  let handler: ProxyHandler;

  beforeAll(async () => {
    table = await createTestTables();
    await table.createUser('moviefan', {
      id: '66a1f2c4e5b3a1234567890a',
      name: 'Movie Fan',
      dateOfBirth: '1999-05-20',
    });
    handler = await loadHandler(table.env);
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await table.drop();
  });

  it('answers 200 with a verifiable token and the safe user', async () => {
    const response = await invoke(
      handler,
      jsonLoginEvent({ emailOrUsername: 'MovieFan@example.com', password: 'secret123' }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual(API_RESPONSE_HEADERS);
    const body = JSON.parse(response.body);
    expect(body).toStrictEqual({
      ok: true,
      data: {
        token: expect.any(String),
        refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{22}\.0\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{43}$/),
        expiresIn: 900,
        user: {
          id: '66a1f2c4e5b3a1234567890a',
          bio: '',
          name: 'Movie Fan',
          email: 'moviefan@example.com',
          badges: [],
          aiUsage: { used: 0, limit: 5, remaining: 5 },
          username: 'moviefan',
          avatarUrl: null,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          countryCode: null,
          dateOfBirth: '1999-05-20T00:00:00.000Z',
        },
        deviceToken: expect.stringMatching(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\.0\.\d{10}\.[A-Za-z0-9_-]{43}$/),
      },
    });
    const { payload } = await verifyWithTestKeys(body.data.token, {
      issuer: TEST_TOKEN_ISSUER,
      audience: 'movie-knight',
    });
    expect(payload.sub).toBe('66a1f2c4e5b3a1234567890a');
    // The access token names the session the refresh token belongs to.
    expect(body.data.refreshToken.startsWith(`${payload.sid}.`)).toBe(true);
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('reads a base64-encoded body, as API Gateway sends binary payloads', async () => {
    const event = loginEvent(
      Buffer.from(JSON.stringify({ emailOrUsername: 'moviefan', password: 'secret123' })).toString('base64'),
    );
    event.isBase64Encoded = true;
    expect((await invoke(handler, event)).statusCode).toBe(200);
  });

  it('accepts a JSON content type with a charset and in any header case', async () => {
    const event = loginEvent(JSON.stringify({ emailOrUsername: 'moviefan', password: 'secret123' }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect((await invoke(handler, event)).statusCode).toBe(200);
  });

  it('answers byte-identical 401s for an unknown identifier and a wrong password', async () => {
    const unknown = await invoke(
      handler,
      jsonLoginEvent({ emailOrUsername: 'nobody@example.com', password: 'secret123' }),
    );
    const wrong = await invoke(handler, jsonLoginEvent({ emailOrUsername: 'moviefan', password: 'wrong-password' }));
    expect(unknown).toStrictEqual({ statusCode: 401, headers: API_RESPONSE_HEADERS, body: INVALID });
    expect(wrong).toStrictEqual(unknown);
  });

  it('answers the same 401 for a password longer than bcrypt reads', async () => {
    const response = await invoke(
      handler,
      jsonLoginEvent({ emailOrUsername: 'moviefan', password: `secret123${'x'.repeat(80)}` }),
    );
    expect(response).toStrictEqual({ statusCode: 401, headers: API_RESPONSE_HEADERS, body: INVALID });
  });

  it.each([
    ['a body that is not JSON', '{"emailOrUsername":', 'Request body must be valid JSON'],
    ['an empty body', '', 'Request body must be valid JSON'],
    ['no body at all', null, 'Request body must be a JSON object'],
    ['a JSON array', '[]', 'Request body must be a JSON object'],
    ['a JSON string', '"moviefan"', 'Request body must be a JSON object'],
    ['a missing field', '{"emailOrUsername":"moviefan"}', 'password is required'],
    [
      'a field that is not a string',
      '{"emailOrUsername":{"$gt":""},"password":"x"}',
      'emailOrUsername must be a string',
    ],
    ['an empty field', '{"emailOrUsername":"moviefan","password":""}', 'password must not be empty'],
    [
      'a field too long',
      JSON.stringify({ emailOrUsername: 'a'.repeat(255), password: 'x' }),
      'emailOrUsername must be at most 254 characters',
    ],
    [
      'a __proto__ key',
      '{"__proto__":{"admin":true},"emailOrUsername":"a","password":"b"}',
      'Request body contains a forbidden key',
    ],
  ])('answers 400 for %s', async (_, body, message) => {
    expect(await invoke(handler, loginEvent(body))).toStrictEqual({
      statusCode: 400,
      headers: API_RESPONSE_HEADERS,
      body: JSON.stringify({ ok: false, error: message, code: 'invalid_request' }),
    });
  });

  it.each([
    ['no content type', {}],
    ['a form content type', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['a text content type', { 'Content-Type': 'text/plain' }],
  ])('answers 415 for %s', async (_, headers) => {
    const response = await invoke(
      handler,
      loginEvent('{"emailOrUsername":"moviefan","password":"secret123"}', headers),
    );
    expect(response).toStrictEqual({
      statusCode: 415,
      headers: API_RESPONSE_HEADERS,
      body: '{"ok":false,"error":"Content-Type must be application/json","code":"unsupported_media_type"}',
    });
  });

  describe('when its dependencies fail', () => {
    afterAll(async () => {
      handler = await loadHandler(table.env);
    });

    it('answers 500 with a generic message and no detail when the table does not exist', async () => {
      const broken = await loadHandler({ ...table.env, USERS_TABLE_NAME: 'no-such-table' });
      const response = await invoke(broken, jsonLoginEvent({ emailOrUsername: 'moviefan', password: 'secret123' }));
      expect(response).toStrictEqual({
        statusCode: 500,
        headers: API_RESPONSE_HEADERS,
        body: '{"ok":false,"error":"Internal server error","code":"internal_error"}',
      });
    });

    it('answers 503 within a few seconds when DynamoDB refuses connections', async () => {
      const broken = await loadHandler({ ...table.env, DYNAMODB_ENDPOINT: await closedPortEndpoint() });
      const started = Date.now();
      const response = await invoke(broken, jsonLoginEvent({ emailOrUsername: 'moviefan', password: 'secret123' }));
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(response).toStrictEqual({
        statusCode: 503,
        headers: API_RESPONSE_HEADERS,
        body: '{"ok":false,"error":"Service temporarily unavailable, please retry","code":"service_unavailable"}',
      });
    });
  });
});

describe('login handler with a body larger than any login', () => {
  let tables: TestTables;
  let handler: ProxyHandler;

  beforeAll(async () => {
    tables = await createTestTables();
    handler = createTestHandler(tables.env);
  });

  afterAll(() => tables.drop());

  /** The lengths of the texts JSON.parse saw: the body parser (and its prototype guard) starts there. */
  const parsedLengths = async (run: () => Promise<unknown>): Promise<number[]> => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      await run();
      return parse.mock.calls.map(([text]) => String(text).length);
    } finally {
      parse.mockRestore();
    }
  };

  it('refuses a 9 MB JSON array with 413 before parsing it', async () => {
    const body = `[${'1,'.repeat(4.5 * 1024 * 1024)}1]`;
    let response: unknown;
    const lengths = await parsedLengths(async () => {
      response = await invoke(handler, loginEvent(body));
    });
    expect(response).toStrictEqual({
      statusCode: 413,
      headers: API_RESPONSE_HEADERS,
      body: '{"ok":false,"error":"Request body too large","code":"payload_too_large"}',
    });
    expect(lengths.filter((length) => length >= MAX_BODY_BYTES)).toEqual([]);
  });

  it('counts the decoded bytes of a base64 body', async () => {
    const event = loginEvent(Buffer.from(`{"password":"${'x'.repeat(MAX_BODY_BYTES)}"}`).toString('base64'));
    event.isBase64Encoded = true;
    expect((await invoke(handler, event)).statusCode).toBe(413);
  });

  it('counts bytes, not characters', async () => {
    const body = JSON.stringify({ emailOrUsername: 'moviefan', password: '€'.repeat(MAX_BODY_BYTES / 3 + 10) });
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect((await invoke(handler, loginEvent(body))).statusCode).toBe(413);
  });

  it('still reads the largest valid login, every character escaped', async () => {
    const escaped = (length: number) => `"${'\\u0001'.repeat(length)}"`;
    const body = `{"emailOrUsername":${escaped(MAX_IDENTIFIER_LENGTH)},"password":${escaped(MAX_PASSWORD_LENGTH)}}`;
    const response = await invoke(handler, loginEvent(body));
    // Not 413: the body reached the schema, which refuses control characters in an identifier.
    expect(JSON.parse(response.body)).toEqual({
      ok: false,
      error: 'emailOrUsername must not contain control characters',
      code: 'invalid_request',
    });
  });

  it('refuses a deeply nested body with 400 before parsing it', async () => {
    const body = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    let response: unknown;
    const lengths = await parsedLengths(async () => {
      response = await invoke(handler, loginEvent(body));
    });
    expect(response).toStrictEqual({
      statusCode: 400,
      headers: API_RESPONSE_HEADERS,
      body: '{"ok":false,"error":"Request body is nested too deeply","code":"invalid_request"}',
    });
    expect(lengths).not.toContain(body.length);
  });
});

describe('login handler with CORS origins configured', () => {
  let tables: TestTables;
  let handler: ProxyHandler;

  beforeAll(async () => {
    tables = await createTestTables();
    handler = createTestHandler({ ...tables.env, CORS_ALLOWED_ORIGINS: 'https://app.example.com' });
  });

  afterAll(() => tables.drop());

  const fromOrigin = (origin: string) =>
    invoke(
      handler,
      loginEvent('{"emailOrUsername":"nobody","password":"x"}', { 'Content-Type': 'application/json', Origin: origin }),
    );

  it('allows a configured origin, without credentials, and lets it read Retry-After', async () => {
    const response = await fromOrigin('https://app.example.com');
    expect(response.headers).toStrictEqual({
      ...API_RESPONSE_HEADERS,
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Expose-Headers': 'Retry-After,WWW-Authenticate',
      Vary: 'Origin',
    });
  });

  it('gives any other origin no CORS headers at all', async () => {
    const response = await fromOrigin('https://evil.example.net');
    expect(response.headers).toStrictEqual({ ...API_RESPONSE_HEADERS, Vary: 'Origin' });
  });
});
