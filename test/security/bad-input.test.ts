import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginHandler } from '#functions/login/create-handler.ts';
import { InvalidCredentialsError } from '#lib/errors.ts';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createLoginTelemetry } from '#lib/login/telemetry.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent, type ProxyHandler } from '#test/support/events.ts';
import { createTestHandler } from '#test/support/handler.ts';

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Every malformed request, with the status and message it must get. */
const MATRIX: [string, string | null, number, string][] = [
  ['an empty body', '', 400, 'Request body must be valid JSON'],
  ['no body', null, 400, 'Request body must be a JSON object'],
  ['text that is not JSON', 'emailOrUsername=moviefan', 400, 'Request body must be valid JSON'],
  ['truncated JSON', '{"emailOrUsername":"moviefan","password":"secr', 400, 'Request body must be valid JSON'],
  [
    'a JSON array',
    '[{"emailOrUsername":"moviefan","password":"secret123"}]',
    400,
    'Request body must be a JSON object',
  ],
  ['JSON null', 'null', 400, 'Request body must be a JSON object'],
  ['a JSON string', '"moviefan"', 400, 'Request body must be a JSON object'],
  ['a JSON number', '42', 400, 'Request body must be a JSON object'],
  ['an empty object', '{}', 400, 'emailOrUsername is required'],
  ['no emailOrUsername', '{"password":"secret123"}', 400, 'emailOrUsername is required'],
  ['no password', '{"emailOrUsername":"moviefan"}', 400, 'password is required'],
  ['an empty emailOrUsername', '{"emailOrUsername":"","password":"x"}', 400, 'emailOrUsername must not be empty'],
  ['an empty password', '{"emailOrUsername":"moviefan","password":""}', 400, 'password must not be empty'],
  ['a blank emailOrUsername', '{"emailOrUsername":"  \\t ","password":"x"}', 400, 'emailOrUsername must not be blank'],
  ['a blank password', '{"emailOrUsername":"moviefan","password":"   "}', 400, 'password must not be blank'],
  ...(['42', 'true', 'null', '["moviefan"]', '{"a":1}', '{"$ne":null}', '{"$gt":""}'] as const).flatMap(
    (value): [string, string, number, string][] => [
      [
        `emailOrUsername ${value}`,
        `{"emailOrUsername":${value},"password":"x"}`,
        400,
        'emailOrUsername must be a string',
      ],
      [`password ${value}`, `{"emailOrUsername":"moviefan","password":${value}}`, 400, 'password must be a string'],
    ],
  ),
  [
    'an identifier of 255 characters',
    JSON.stringify({ emailOrUsername: `${'a'.repeat(243)}@example.com`, password: 'x' }),
    400,
    'emailOrUsername must be at most 254 characters',
  ],
  [
    'a password of 1025 characters',
    JSON.stringify({ emailOrUsername: 'moviefan', password: 'x'.repeat(1025) }),
    400,
    'password must be at most 1024 characters',
  ],
  // Refused before parsing: no valid body nests, and none is larger than a few KB.
  ['JSON nested 9 deep', nested(9), 400, 'Request body is nested too deeply'],
  ['JSON nested 100,000 deep', nested(100_000), 413, 'Request body too large'],
  ['a 9 MB JSON array', `[${'1,'.repeat(4.5 * 1024 * 1024)}1]`, 413, 'Request body too large'],
  [
    'a __proto__ key',
    '{"__proto__":{"isAdmin":true},"emailOrUsername":"a","password":"b"}',
    400,
    'Request body contains a forbidden key',
  ],
  [
    'a nested __proto__ key',
    '{"emailOrUsername":"a","password":"b","x":{"__proto__":{}}}',
    400,
    'Request body contains a forbidden key',
  ],
  [
    'a constructor.prototype key',
    '{"constructor":{"prototype":{}},"emailOrUsername":"a","password":"b"}',
    400,
    'Request body contains a forbidden key',
  ],
  [
    'a NUL in the identifier',
    '{"emailOrUsername":"movie\\u0000fan","password":"x"}',
    400,
    'emailOrUsername must not contain control characters',
  ],
  [
    'a newline in the identifier',
    '{"emailOrUsername":"moviefan\\n","password":"x"}',
    400,
    'emailOrUsername must not contain control characters',
  ],
];

const CONTENT_TYPES: [string, Record<string, string>][] = [
  ['no Content-Type', {}],
  ['text/plain', { 'Content-Type': 'text/plain' }],
  ['form data', { 'Content-Type': 'application/x-www-form-urlencoded' }],
  ['multipart', { 'Content-Type': 'multipart/form-data; boundary=x' }],
  ['XML', { 'Content-Type': 'application/xml' }],
];

const CODES: Record<number, string> = {
  400: 'invalid_request',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

describe('bad input', () => {
  let tables: TestTables;
  let handler: ProxyHandler;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('moviefan');
    handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT' });
  });

  afterAll(() => tables.drop());

  const expectEnvelope = (response: Awaited<ReturnType<ProxyHandler>>, status: number, message: string) => {
    expect(response).toStrictEqual({
      statusCode: status,
      headers: API_RESPONSE_HEADERS,
      body: JSON.stringify({ ok: false, error: message, code: CODES[status] }),
    });
    for (const leak of ['Exception', '    at ', 'node_modules', tables.usersTableName, 'stack', 'middy']) {
      expect(response.body).not.toContain(leak);
    }
  };

  it.each(MATRIX)('answers %s', async (_, body, status, message) => {
    expectEnvelope(await invoke(handler, loginEvent(body)), status, message);
  });

  it.each(CONTENT_TYPES)('answers %s with 415', async (_, headers) => {
    const response = await invoke(
      handler,
      loginEvent('{"emailOrUsername":"moviefan","password":"secret123"}', headers),
    );
    expectEnvelope(response, 415, 'Content-Type must be application/json');
  });

  it('never lets a body with a prototype key reach the login use case', async () => {
    // The real chain and parser, with a login that records what reaches it.
    const reached: unknown[] = [];
    const logger = new Logger({ logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: 'BadInputTest' });
    const probe = createLoginHandler({
      login: async (request) => {
        reached.push(request);
        throw new InvalidCredentialsError();
      },
      clientIds: ['movie-knight-app'],
      telemetry: createLoginTelemetry(logger, metrics),
      logger,
      metrics,
      corsAllowedOrigins: [],
    }) as ProxyHandler;
    for (const body of [
      '{"__proto__":{"isAdmin":true},"emailOrUsername":"a","password":"b"}',
      '{"emailOrUsername":"a","password":"b","x":[{"__proto__":{}}]}',
      '{"constructor":{"prototype":{"isAdmin":true}},"emailOrUsername":"a","password":"b"}',
    ]) {
      expectEnvelope(await invoke(probe, loginEvent(body)), 400, 'Request body contains a forbidden key');
    }
    expect(reached).toEqual([]);
    // The same body without the key does reach it: the probe itself works.
    await invoke(probe, loginEvent('{"emailOrUsername":"a","password":"b"}'));
    expect(reached).toHaveLength(1);
  });
});
