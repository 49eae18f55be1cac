import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { importJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMeHandler } from '#functions/me/create-handler.ts';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createSessionAccess } from '#lib/sessions/access.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDynamoDbSessionStore, type SessionStore } from '#lib/sessions/store.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { activeKey, createKeySet, parseKeySet } from '#lib/tokens/key-set.ts';
import { createPublicKeyProvider, verificationKeys } from '#lib/tokens/public-key-provider.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createTokenVerifier } from '#lib/tokens/verifier.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, type ProxyHandler } from '#test/support/events.ts';
import { startTestSession } from '#test/support/sessions.ts';

const settings = { issuer: 'https://auth.example.test/prod', audience: 'movie-knight', ttlSeconds: 3600 };
/** The frozen clock of both the signer and the verifier. */
const NOW = new Date('2026-11-26T12:00:00Z');
const SECONDS = NOW.getTime() / 1000;
const TEN_YEARS = 10 * 365 * 86_400;
const MISSING = { 'WWW-Authenticate': 'Bearer realm="movie-knight"' };
const INVALID = { 'WWW-Authenticate': 'Bearer realm="movie-knight", error="invalid_token"' };

describe('GET /api/auth/me', () => {
  let tables: TestTables;
  let handler: ProxyHandler;
  let sign: (subject: string, overrides?: Partial<typeof settings>, now?: Date) => Promise<string>;
  let sessions: SessionStore;
  /** A token validly signed with the stack's active key, with exactly these claims. */
  let signClaims: (claims: JWTPayload) => Promise<string>;

  const me = (authorization?: string) =>
    invoke(
      handler,
      toApiGatewayEvent({
        method: 'GET',
        path: '/api/auth/me',
        headers: authorization ? { Authorization: authorization } : {},
      }),
    );

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('me-user', { id: 'me-user', email: 'Me@Example.com' });
    await tables.createUser('gone', { id: 'gone-user' });
    const keys = createSigningKeyProvider({ value: tables.env.SIGNING_KEYS! });
    sign = async (subject, overrides = {}, now = NOW) =>
      createTokenSigner(keys, { ...settings, ...overrides }, () => now).sign(
        subject,
        (await startTestSession(tables, subject)).sessionId,
      );
    const { status, retiredAt, publishedAt, ...jwk } = activeKey(parseKeySet(tables.env.SIGNING_KEYS!));
    const privateKey = await importJWK(jwk, 'RS256');
    signClaims = (claims) =>
      new SignJWT({
        iss: settings.issuer,
        aud: settings.audience,
        sub: 'me-user',
        jti: 'jti-1',
        sid: 'session-1',
        iat: SECONDS,
        nbf: SECONDS,
        exp: SECONDS + 600,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })
        .sign(privateKey);
    sessions = createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName);
    handler = createMeHandler({
      logger: new Logger({ logLevel: 'SILENT' }),
      access: createSessionAccess({
        sessions,
        control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
        readUser: createDynamoDbUserStore(tables.client, tables.usersTableName).findProfileById,
        policy: DEFAULTS.sessions,
      }),
      // As deployed: the verifier reads the public JWKS only.
      verify: createTokenVerifier({
        keys: verificationKeys(createPublicKeyProvider({ value: tables.env.PUBLIC_KEYS! })),
        issuer: settings.issuer,
        audience: settings.audience,
        maxTokenAgeSeconds: settings.ttlSeconds,
        clientIds: ['movie-knight-app'],
        clock: () => NOW,
      }),
      corsAllowedOrigins: [],
    }) as ProxyHandler;
  });

  afterAll(() => tables.drop());

  it('returns the safe user of the token, read consistently', async () => {
    const response = await me(`Bearer ${await sign('me-user')}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual(API_RESPONSE_HEADERS);
    const body = JSON.parse(response.body);
    expect(body).toStrictEqual({
      ok: true,
      data: { user: expect.objectContaining({ id: 'me-user', email: 'Me@Example.com' }) },
    });
    expect(body.data.user).not.toHaveProperty('passwordHash');
  });

  it.each([
    ['no Authorization header', undefined, MISSING, 'A bearer token is required', 'token_required'],
    ['another scheme', 'Basic bWU6c2VjcmV0', MISSING, 'A bearer token is required', 'token_required'],
    ['a token that is not a JWT', 'Bearer not-a-jwt', INVALID, 'The token is invalid or has expired', 'invalid_token'],
  ])('answers 401 to %s, its kind in code', async (_, authorization, header, message, code) => {
    expect(await me(authorization)).toStrictEqual({
      statusCode: 401,
      headers: { ...API_RESPONSE_HEADERS, ...header },
      body: JSON.stringify({ ok: false, error: message, code }),
    });
  });

  it.each([
    ['an expired token', () => sign('me-user', {}, new Date(NOW.getTime() - 2 * 3600 * 1000))],
    ['a token whose sub is a number', () => signClaims({ sub: 123 as unknown as string })],
    ['a token whose sub is an object', () => signClaims({ sub: { S: 'me-user' } as unknown as string })],
    ['a token whose jti is a number', () => signClaims({ jti: 1 as unknown as string })],
    [
      'a token issued ten years in the future',
      () => signClaims({ iat: SECONDS + TEN_YEARS, exp: SECONDS + TEN_YEARS + 60 }),
    ],
    ['a token that expires in ten years', () => signClaims({ exp: SECONDS + TEN_YEARS })],
    ['a token older than the token lifetime', () => signClaims({ iat: SECONDS - 3600 - 61, exp: SECONDS + 600 })],
    ['a token from another issuer', () => sign('me-user', { issuer: 'https://evil.example' })],
    ['a token for another audience', () => sign('me-user', { audience: 'another-api' })],
    [
      'a token signed with another key',
      async () =>
        createTokenSigner(
          createSigningKeyProvider({ value: JSON.stringify(await createKeySet()) }),
          settings,
          () => NOW,
        ).sign('me-user', 'session-1'),
    ],
    [
      'a tampered token',
      async () => {
        const [header, payload, signature] = (await sign('gone-user')).split('.');
        const claims = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'me-user' };
        return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      },
    ],
  ])('answers 401 with WWW-Authenticate to %s', async (_, make) => {
    expect(await me(`Bearer ${await make()}`)).toStrictEqual({
      statusCode: 401,
      headers: { ...API_RESPONSE_HEADERS, ...INVALID },
      body: '{"ok":false,"error":"The token is invalid or has expired","code":"invalid_token"}',
    });
  });

  it("answers 401, read consistently, once the token's session has ended", async () => {
    const token = await sign('me-user');
    expect((await me(`Bearer ${token}`)).statusCode).toBe(200);
    const { sid } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    await sessions.end(sid, Date.now());
    expect(await me(`Bearer ${token}`)).toStrictEqual({
      statusCode: 401,
      headers: { ...API_RESPONSE_HEADERS, ...INVALID },
      body: '{"ok":false,"error":"The token is invalid or has expired","code":"invalid_token"}',
    });
  });

  it("answers 401 to a token whose sid names a session that does not exist or is someone else's", async () => {
    const signer = createTokenSigner(createSigningKeyProvider({ value: tables.env.SIGNING_KEYS! }), settings);
    expect((await me(`Bearer ${await signer.sign('me-user', 'no-such-session-000000')}`)).statusCode).toBe(401);
    const othersToken = await sign('gone-user');
    const { sid } = JSON.parse(Buffer.from(othersToken.split('.')[1]!, 'base64url').toString());
    expect((await me(`Bearer ${await signer.sign('me-user', sid)}`)).statusCode).toBe(401);
  });

  it('answers 401 to a valid token whose user no longer exists', async () => {
    const token = await sign('gone-user');
    await tables.client.send(new DeleteCommand({ TableName: tables.usersTableName, Key: { id: 'gone-user' } }));
    expect((await me(`Bearer ${token}`)).statusCode).toBe(401);
  });
});
