import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { JWTClaimValidationFailed } from 'jose/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceError } from '#lib/errors.ts';
import { httpBearerAuth } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { success } from '#lib/http/response.ts';
import { publicJwks } from '#lib/tokens/key-set.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createTokenVerifier, type TokenVerifier } from '#lib/tokens/verifier.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { freePort } from '#scripts/local/free-port.ts';
import { invokeOffContract, type ProxyHandler } from '#test/support/events.ts';
import { testKeySet } from '#test/support/keys.ts';

const settings = { issuer: 'https://auth.example.test/prod', audience: 'movie-knight', ttlSeconds: 3600 };
const UNAVAILABLE = { ok: false, error: 'Service temporarily unavailable, please retry', code: 'service_unavailable' };
const INVALID = { ok: false, error: 'The token is invalid or has expired', code: 'invalid_token' };

/** A route behind the bearer middleware, through the shared chain and its error envelope. */
const protectedRoute = (verify: TokenVerifier): ProxyHandler =>
  createHttpHandler({ logger: new Logger({ logLevel: 'SILENT' }), corsAllowedOrigins: [] })
    .use(httpBearerAuth({ verify }))
    .handler(async () => success({})) as ProxyHandler;

const call = (handler: ProxyHandler, token: string) =>
  invokeOffContract(
    handler,
    toApiGatewayEvent({ method: 'GET', path: '/api/auth/me', headers: { Authorization: `Bearer ${token}` } }),
  );

/** How another service verifies our tokens: against the published JWKS at `url`. */
const verifierAt = (url: string, timeoutDuration = 5000) =>
  createTokenVerifier({
    keys: createRemoteJWKSet(new URL(url), { timeoutDuration }),
    issuer: settings.issuer,
    audience: settings.audience,
    maxTokenAgeSeconds: settings.ttlSeconds,
    clientIds: ['movie-knight-app'],
  });

describe('httpBearerAuth', () => {
  let jwksServer: Server;
  let stalledServer: Server;
  let jwksUrl: string;
  let stalledUrl: string;
  let sign: (now?: Date) => Promise<string>;

  beforeAll(async () => {
    const set = await testKeySet();
    const keys = createSigningKeyProvider({ value: JSON.stringify(set) });
    sign = (now = new Date()) => createTokenSigner(keys, settings, () => now).sign('user-1', 'session-1');
    jwksServer = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(publicJwks(set)));
    });
    // Accepts the connection and never answers, as a JWKS endpoint that hangs does.
    stalledServer = createServer(() => {});
    for (const server of [jwksServer, stalledServer]) {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    }
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`;
    stalledUrl = `http://127.0.0.1:${(stalledServer.address() as { port: number }).port}/jwks.json`;
  });

  afterAll(() => {
    jwksServer.close();
    stalledServer.closeAllConnections();
    stalledServer.close();
  });

  it('accepts a good token verified against the published JWKS', async () => {
    expect((await call(protectedRoute(verifierAt(jwksUrl)), await sign())).statusCode).toBe(200);
  });

  it('answers 401 to an expired token', async () => {
    const response = await call(protectedRoute(verifierAt(jwksUrl)), await sign(new Date('2020-01-01T00:00:00Z')));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toStrictEqual(INVALID);
    expect(response.headers?.['WWW-Authenticate']).toBe('Bearer realm="movie-knight", error="invalid_token"');
  });

  it("answers 401 when the verifier refuses a claim of the wrong type (jose's claim failure)", async () => {
    const response = await call(
      protectedRoute(async () => {
        throw new JWTClaimValidationFailed('"sub" claim has the wrong type', {}, 'sub', 'check_failed');
      }),
      await sign(),
    );
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toStrictEqual(INVALID);
  });

  it('answers 503, not 401, when the JWKS fetch times out', async () => {
    const response = await call(protectedRoute(verifierAt(stalledUrl, 50)), await sign());
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toStrictEqual(UNAVAILABLE);
    expect(response.headers).not.toHaveProperty('WWW-Authenticate');
  });

  it('answers 503, not 401, when the JWKS endpoint refuses the connection', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/jwks.json`;
    const response = await call(protectedRoute(verifierAt(closed)), await sign());
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toStrictEqual(UNAVAILABLE);
  });

  it('answers 503 to any other failure to get the keys, never 401', async () => {
    const keys: JWTVerifyGetKey = async () => {
      throw new TypeError('fetch failed');
    };
    const verify = createTokenVerifier({
      keys,
      issuer: settings.issuer,
      audience: settings.audience,
      maxTokenAgeSeconds: settings.ttlSeconds,
      clientIds: ['movie-knight-app'],
    });
    expect((await call(protectedRoute(verify), await sign())).statusCode).toBe(503);
  });

  it('keeps our own 500 a 500', async () => {
    const response = await call(
      protectedRoute(async () => {
        throw new AuthServiceError('Key set is broken');
      }),
      await sign(),
    );
    expect(response.statusCode).toBe(500);
  });
});
