import { createLocalJWKSet, importJWK, type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { activeKey, createKeySet, type KeySet, publicJwks, rotateKeySet } from '#lib/tokens/key-set.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createPolicyTokenVerifier, createTokenVerifier } from '#lib/tokens/verifier.ts';

const NOW = new Date('2026-11-26T12:00:00Z');
const settings = { issuer: 'https://auth.example.test/prod', audience: 'movie-knight', ttlSeconds: 3600 };

const signerFor = (set: KeySet, overrides: Partial<typeof settings> = {}, now = NOW) =>
  createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(set) }), { ...settings, ...overrides }, () => now);
const verifierFor = (set: KeySet, now = NOW) =>
  createTokenVerifier({
    keys: createLocalJWKSet(publicJwks(set)),
    issuer: settings.issuer,
    audience: settings.audience,
    maxTokenAgeSeconds: settings.ttlSeconds,
    clientIds: ['movie-knight-app', 'tv-app'],
    clock: () => now,
  });

const SECONDS = NOW.getTime() / 1000;
const TEN_YEARS = 10 * 365 * 86_400;

/** A token validly signed by the set's active key, with exactly these claims (a signer gone wrong). */
const signClaims = async (set: KeySet, claims: JWTPayload) => {
  const { status, retiredAt, publishedAt, ...jwk } = activeKey(set);
  return new SignJWT({
    iss: settings.issuer,
    aud: settings.audience,
    sub: 'user-1',
    jti: 'jti-1',
    sid: 'session-1',
    client_id: 'movie-knight-app',
    iat: SECONDS,
    nbf: SECONDS,
    exp: SECONDS + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })
    .sign(await importJWK(jwk, 'RS256'));
};

describe('token verification', async () => {
  const set = await createKeySet(SECONDS);
  const token = await signerFor(set).sign('user-1', 'session-1');

  it('accepts a token the login signed, and returns its claims', async () => {
    expect(await verifierFor(set)(token)).toMatchObject({
      sub: 'user-1',
      iss: settings.issuer,
      aud: settings.audience,
    });
  });

  it.each([
    [
      'expired (beyond the minute of clock skew)',
      async () => token,
      new Date(NOW.getTime() + 3661 * 1000),
      'ERR_JWT_EXPIRED',
    ],
    [
      'not yet valid',
      async () => signerFor(set, {}, new Date(NOW.getTime() + 600_000)).sign('u', 'session-1'),
      NOW,
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    ],
    [
      'from another issuer',
      async () => signerFor(set, { issuer: 'https://evil.example' }).sign('u', 'session-1'),
      NOW,
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    ],
    [
      'for another audience',
      async () => signerFor(set, { audience: 'other-api' }).sign('u', 'session-1'),
      NOW,
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    ],
    [
      'signed by another key set',
      async () => signerFor(await createKeySet()).sign('u', 'session-1'),
      NOW,
      'ERR_JWKS_NO_MATCHING_KEY',
    ],
    [
      'tampered with',
      async () => {
        const [header, , signature] = token.split('.');
        const payload = Buffer.from(
          JSON.stringify({ sub: 'admin', iss: settings.issuer, aud: settings.audience }),
        ).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
      NOW,
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    ],
    [
      'unsigned (alg none)',
      async () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
        return `${header}.${token.split('.')[1]}.`;
      },
      NOW,
      'ERR_JOSE_ALG_NOT_ALLOWED',
    ],
    [
      'HMAC-signed with the public key as secret',
      async () => {
        const publicKey = new TextEncoder().encode(JSON.stringify(publicJwks(set).keys[0]));
        return new SignJWT({ sub: 'u' })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: set.keys[0]?.kid })
          .sign(publicKey);
      },
      NOW,
      'ERR_JOSE_ALG_NOT_ALLOWED',
    ],
    [
      'typed as something else than an access token',
      async () => {
        const { importJWK } = await import('jose');
        const { status, retiredAt, ...jwk } = set.keys[0]!;
        return new SignJWT({ sub: 'u', jti: 'j' })
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: jwk.kid })
          .setIssuer(settings.issuer)
          .setAudience(settings.audience)
          .setIssuedAt(NOW.getTime() / 1000)
          .setNotBefore(NOW.getTime() / 1000)
          .setExpirationTime(NOW.getTime() / 1000 + 60)
          .sign(await importJWK(jwk, 'RS256'));
      },
      NOW,
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    ],
  ])('rejects a token %s', async (_, make, now, code) => {
    await expect(verifierFor(set, now)(await make())).rejects.toMatchObject({ code });
  });

  it.each([
    ['a number as sub', { sub: 123 as unknown as string }, 'sub'],
    ['an object as sub', { sub: { id: 'user-1' } as unknown as string }, 'sub'],
    ['an empty sub', { sub: '' }, 'sub'],
    ['a number as jti', { jti: 7 as unknown as string }, 'jti'],
    ['a number as sid', { sid: 42 }, 'sid'],
    ['an empty sid', { sid: '' }, 'sid'],
    ['no sid', { sid: undefined }, 'sid'],
    ['no nbf', { nbf: undefined }, 'nbf'],
    ['no client_id (RFC 9068 section 2.2)', { client_id: undefined }, 'client_id'],
    ['an empty client_id', { client_id: '' }, 'client_id'],
    ['the client_id of no registered client', { client_id: 'evil-app' }, 'client_id'],
    ['iat ten years in the future', { iat: SECONDS + TEN_YEARS, exp: SECONDS + TEN_YEARS + 600 }, 'iat'],
    ['iat 61 seconds in the future', { iat: SECONDS + 61 }, 'iat'],
    ['exp ten years in the future', { exp: SECONDS + TEN_YEARS }, 'exp'],
    ['exp further after iat than the token lifetime', { exp: SECONDS + settings.ttlSeconds + 1 }, 'exp'],
  ])('rejects a validly signed token with %s as a claims failure', async (_, claims, claim) => {
    await expect(verifierFor(set)(await signClaims(set, claims))).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim,
    });
  });

  it('says in its error which claim failed and how, for the log (the client sees only the 401)', async () => {
    const failure = async (claims: JWTPayload) =>
      verifierFor(set)(await signClaims(set, claims)).catch((error) => error);
    expect(await failure({ sub: 123 as unknown as string })).toMatchObject({
      message: '"sub" claim has the wrong type',
      reason: 'check_failed',
    });
    expect(await failure({ exp: SECONDS + settings.ttlSeconds + 1 })).toMatchObject({
      message: '"exp" claim is further after "iat" than the token lifetime',
      reason: 'check_failed',
    });
    expect(await failure({ client_id: 'evil-app' })).toMatchObject({
      message: '"client_id" claim is no registered client',
      reason: 'check_failed',
    });
  });

  it('rejects a token older than the token lifetime, whatever its exp says', async () => {
    const old = await signClaims(set, { iat: SECONDS - settings.ttlSeconds - 61, exp: SECONDS + 600 });
    await expect(verifierFor(set)(old)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED', claim: 'iat' });
  });

  it('allows a minute of clock skew between signer and verifier', async () => {
    const ahead = await signClaims(set, { iat: SECONDS + 60, nbf: SECONDS + 60, exp: SECONDS + 660 });
    expect(await verifierFor(set)(ahead)).toMatchObject({ sub: 'user-1', iat: SECONDS + 60 });
  });

  it('accepts a token of any registered client', async () => {
    expect(await verifierFor(set)(await signClaims(set, { client_id: 'tv-app' }))).toMatchObject({
      client_id: 'tv-app',
    });
  });

  it('accepts a string sid, the session the token belongs to', async () => {
    expect(await verifierFor(set)(await signClaims(set, { sid: 'session-1' }))).toMatchObject({ sid: 'session-1' });
  });

  it('after a rotation, still accepts a token signed with the previous key', async () => {
    // A rotation long after the set was made, so its next key may sign.
    const { set: rotated } = await rotateKeySet(set, { nowSeconds: SECONDS + 86_400, retainSeconds: 4 * 3600 });
    expect(await verifierFor(rotated)(token)).toMatchObject({ sub: 'user-1' });
    // And the rotated set signs with the key that was published as next.
    const fresh = await signerFor(rotated).sign('user-2', 'session-2');
    expect(await verifierFor(rotated)(fresh)).toMatchObject({ sub: 'user-2' });
  });

  it('rejects a token signed with a key removed from the set', async () => {
    const times = { nowSeconds: SECONDS + 86_400, retainSeconds: 4 * 3600 };
    const { set: once } = await rotateKeySet(set, times);
    const { set: removed } = await rotateKeySet(once, { ...times, nowSeconds: times.nowSeconds + 4 * 3600 });
    expect(removed.keys.map((key) => key.kid)).not.toContain(set.keys[0]?.kid);
    await expect(verifierFor(removed)(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});

describe('createPolicyTokenVerifier', () => {
  it('verifies on its clock (the system clock by default) what the policy signs, for its registered clients', async () => {
    const set = await createKeySet();
    const policy = { ...settings, clientIds: ['tv-app'] };
    const keys = createLocalJWKSet(publicJwks(set));
    const token = await signerFor(set, {}, NOW).sign('user-1', 'session-1', 'tv-app');
    await expect(createPolicyTokenVerifier(keys, policy, () => NOW)(token)).resolves.toMatchObject({
      sub: 'user-1',
      client_id: 'tv-app',
    });
    // Signed in 2026-11 for an hour: long expired by the system clock.
    await expect(createPolicyTokenVerifier(keys, policy)(token)).rejects.toThrow();
    // A client the policy does not register.
    const other = await signerFor(set, {}, NOW).sign('user-1', 'session-1', 'movie-knight-app');
    await expect(createPolicyTokenVerifier(keys, policy, () => NOW)(other)).rejects.toThrow();
  });
});
