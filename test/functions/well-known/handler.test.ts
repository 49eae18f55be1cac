import { Logger } from '@aws-lambda-powertools/logger';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createWellKnownHandler } from '#functions/well-known/create-handler.ts';
import { publicJwks } from '#lib/tokens/key-set.ts';
import { createPublicKeyProvider } from '#lib/tokens/public-key-provider.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import openApiDocument from '#openapi.json' with { type: 'json' };
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { invoke, type ProxyHandler } from '#test/support/events.ts';
import { testKeySet } from '#test/support/keys.ts';

const ISSUER = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';

describe('the well-known documents', async () => {
  const set = await testKeySet();
  const handler = createWellKnownHandler({
    logger: new Logger({ logLevel: 'SILENT' }),
    // As deployed: the public JWKS that the key setup and rotation write, never the private set.
    keys: createPublicKeyProvider({ value: JSON.stringify(publicJwks(set)) }),
    issuer: ISSUER,
    audience: 'movie-knight',
    corsAllowedOrigins: [],
    openApiDocument,
  }) as ProxyHandler;
  const get = (path: string) => invoke(handler, toApiGatewayEvent({ method: 'GET', path, resource: path }));

  it('publish every key that may verify a token, public members only, cacheable', async () => {
    const response = await get('/.well-known/jwks.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'public, max-age=3600',
    });
    const jwks = JSON.parse(response.body);
    expect(jwks.keys.map((key: { kid: string }) => key.kid)).toEqual(set.keys.map((key) => key.kid));
    for (const key of jwks.keys) expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    for (const key of set.keys) expect(response.body).not.toContain(key.d);
  });

  it('verify a login token through the published JWKS alone', async () => {
    const signingKeys = createSigningKeyProvider({ value: JSON.stringify(set) });
    const token = await createTokenSigner(signingKeys, {
      issuer: ISSUER,
      audience: 'movie-knight',
      ttlSeconds: 60,
    }).sign('u1', 'session-1');
    const jwks = JSON.parse((await get('/.well-known/jwks.json')).body);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: 'movie-knight' });
    expect(payload.sub).toBe('u1');
  });

  it.each([
    ['a private key set written to the public secret', JSON.stringify(set)],
    ['a value that is not a JWKS', 'q8ZrandomStringFromCloudFormation'],
  ])('answer 503, never serving private members, when the public secret holds %s', async (_, value) => {
    const broken = createWellKnownHandler({
      logger: new Logger({ logLevel: 'SILENT' }),
      keys: createPublicKeyProvider({ value }),
      issuer: ISSUER,
      audience: 'movie-knight',
      corsAllowedOrigins: [],
      openApiDocument,
    }) as ProxyHandler;
    const path = '/.well-known/jwks.json';
    const response = await invoke(broken, toApiGatewayEvent({ method: 'GET', path, resource: path }));
    expect(response.statusCode).toBe(503);
    for (const key of set.keys) expect(response.body).not.toContain(key.d);
  });

  const METADATA = {
    issuer: ISSUER,
    jwks_uri: `${ISSUER}/.well-known/jwks.json`,
    token_endpoint: `${ISSUER}/api/auth/token`,
    revocation_endpoint: `${ISSUER}/api/auth/revoke`,
    grant_types_supported: ['refresh_token'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    access_token_audience: 'movie-knight',
  };

  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'publish the authorization server metadata at %s, only what is true, cacheable',
    async (path) => {
      const response = await get(path);
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({ 'Cache-Control': 'public, max-age=3600' });
      expect(JSON.parse(response.body)).toEqual(METADATA);
    },
  );

  it("carry RFC 8414 section 2's required fields, and of OIDC Discovery's only those that are true of us", async () => {
    const metadata = JSON.parse((await get('/.well-known/oauth-authorization-server')).body);
    // RFC 8414 section 2: issuer and response_types_supported always; token_endpoint unless only
    // the implicit grant; authorization_endpoint only for grants that use it (we have none).
    for (const field of ['issuer', 'response_types_supported', 'token_endpoint'])
      expect(metadata).toHaveProperty(field);
    expect(metadata.grant_types_supported).not.toContain('authorization_code');
    expect(metadata.grant_types_supported).not.toContain('implicit');
    // The issuer is a URL with no query or fragment, and every endpoint is under it.
    const issuer = new URL(metadata.issuer);
    expect(issuer.search + issuer.hash).toBe('');
    for (const field of ['jwks_uri', 'token_endpoint', 'revocation_endpoint']) {
      expect(metadata[field].startsWith(`${metadata.issuer}/`)).toBe(true);
    }
    // OpenID Connect Discovery 1.0 section 3 requires issuer, authorization_endpoint, jwks_uri,
    // response_types_supported, subject_types_supported and id_token_signing_alg_values_supported.
    // We are no OpenID Provider (no authorization endpoint, no ID tokens), so the document claims
    // the first, third and fourth, which API Gateway's JWT authorizers read, and none of the rest.
    const discovery = JSON.parse((await get('/.well-known/openid-configuration')).body);
    for (const field of ['issuer', 'jwks_uri', 'response_types_supported']) expect(discovery).toHaveProperty(field);
    for (const field of ['authorization_endpoint', 'subject_types_supported', 'id_token_signing_alg_values_supported'])
      expect(discovery).not.toHaveProperty(field);
  });

  it('serve the OpenAPI document, public and cacheable', async () => {
    const response = await get('/api/auth/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'public, max-age=3600', 'X-Frame-Options': 'DENY' });
    // As committed, but for the servers: this deployment's base URL, not localhost.
    expect(JSON.parse(response.body)).toEqual({
      ...openApiDocument,
      servers: [{ url: ISSUER, description: 'This API' }],
    });
  });
});
