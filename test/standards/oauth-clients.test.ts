import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '#lib/settings.ts';
import { fetchChecked } from '#test/support/contract.ts';
import { createTestTables, TEST_PASSWORD, type TestTables } from '#test/support/dynamodb.ts';
import { startTestApi } from '#test/support/local-api.ts';

/**
 * The standards we claim, checked with the client libraries people use (openid-client and the
 * oauth4webapi under it), against the real handlers behind the local API: what a third-party
 * client sees. docs/standards.md lists the standards and sections.
 */
describe('third-party OAuth clients against the real handlers', () => {
  let tables: TestTables;
  let api: Awaited<ReturnType<typeof startTestApi>>;

  const login = async () => {
    const { response, body } = await fetchChecked(api.url, '/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ emailOrUsername: 'client-fan', password: TEST_PASSWORD }),
    });
    expect(response.status).toBe(200);
    return JSON.parse(body).data as { token: string; refreshToken: string; expiresIn: number };
  };

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('client-fan', { id: 'client-fan' });
    api = await startTestApi(tables.env);
  });

  afterAll(async () => {
    await api?.close();
    await tables?.drop();
  });

  const insecure = { execute: [client.allowInsecureRequests] };
  const discover = () => client.discovery(new URL(api.url), DEFAULTS.clientIds[0], undefined, client.None(), insecure);

  it('openid-client discovers the server from its issuer alone, and sees the token and revocation endpoints', async () => {
    const config = await discover();
    expect(config.serverMetadata()).toMatchObject({
      issuer: api.url,
      token_endpoint: `${api.url}/api/auth/token`,
      revocation_endpoint: `${api.url}/api/auth/revoke`,
      jwks_uri: `${api.url}/.well-known/jwks.json`,
      access_token_audience: DEFAULTS.audience,
    });
  });

  it('oauth4webapi finds the RFC 8414 metadata at its well-known path, for an issuer without a path', async () => {
    const issuer = new URL(api.url);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
    expect(new URL(response.url).pathname).toBe('/.well-known/oauth-authorization-server');
    const as = await oauth.processDiscoveryResponse(issuer, response);
    expect(as.grant_types_supported).toEqual(['refresh_token']);
    expect(as.token_endpoint_auth_methods_supported).toEqual(['none']);
  });

  it("openid-client's refreshTokenGrant rotates a login's refresh token; one two generations old is invalid_grant and ends the session", async () => {
    const config = await discover();
    const first = await login();
    const tokens = await client.refreshTokenGrant(config, first.refreshToken);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expiresIn()).toBeGreaterThan(800);
    expect(tokens.refresh_token).toMatch(/\.1\./);
    // The new access token is for the same user, and validates as RFC 9068 says.
    const as = config.serverMetadata();
    const request = new Request(`${api.url}/api/auth/me`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, as.access_token_audience as string, {
      [oauth.allowInsecureRequests]: true,
    });
    expect(claims).toMatchObject({ sub: 'client-fan', client_id: DEFAULTS.clientIds[0] });
    // And it chains: the next grant takes the rotated token.
    const next = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(next.refresh_token).toMatch(/\.2\./);
    // A token two generations old is reuse at once: the standard's error, and the session ends.
    const reuse = await client.refreshTokenGrant(config, first.refreshToken).catch((error: unknown) => error);
    expect(reuse).toBeInstanceOf(client.ResponseBodyError);
    expect(reuse).toMatchObject({ error: 'invalid_grant', status: 400 });
    await expect(client.refreshTokenGrant(config, next.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it("openid-client's tokenRevocation ends the session of a refresh token", async () => {
    const config = await discover();
    const first = await login();
    await client.tokenRevocation(config, first.refreshToken, { token_type_hint: 'refresh_token' });
    await expect(client.refreshTokenGrant(config, first.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('openid-client sees an unregistered client as invalid_client', async () => {
    const config = await client.discovery(new URL(api.url), 'someone-else', undefined, client.None(), insecure);
    const { refreshToken } = await login();
    await expect(client.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({
      error: 'invalid_client',
      status: 401,
    });
  });

  it("oauth4webapi's validateJwtAccessToken accepts a login's access token (RFC 9068), client_id included", async () => {
    const { token } = await login();
    const as: oauth.AuthorizationServer = { issuer: api.url, jwks_uri: `${api.url}/.well-known/jwks.json` };
    const request = new Request(`${api.url}/api/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
    const claims = await oauth.validateJwtAccessToken(as, request, DEFAULTS.audience, {
      [oauth.allowInsecureRequests]: true,
    });
    expect(claims).toMatchObject({ iss: api.url, aud: DEFAULTS.audience, sub: 'client-fan' });
    expect(claims.client_id).toBe(DEFAULTS.clientIds[0]);
  });
});
