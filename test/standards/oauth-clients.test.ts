import * as oauth from 'oauth4webapi';
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
