import { createLocalJWKSet, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyProvider } from '#lib/tokens/key-provider.ts';
import { activeKey, createKeySet, type KeySet, publicJwks, rotateKeySet } from '#lib/tokens/key-set.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createTokenVerifier } from '#lib/tokens/verifier.ts';

const NOW = new Date('2026-11-26T12:00:00Z');
const settings = { issuer: 'https://auth.example.test/prod', audience: 'movie-knight', ttlSeconds: 3600 };

const signerFor = (set: KeySet, overrides: Partial<typeof settings> = {}, now = NOW) =>
  createTokenSigner(createKeyProvider({ value: JSON.stringify(set) }), { ...settings, ...overrides }, () => now);
const verifierFor = (set: KeySet, now = NOW) =>
  createTokenVerifier({
    keys: createLocalJWKSet(publicJwks(set)),
    issuer: settings.issuer,
    audience: settings.audience,
    clock: () => now,
  });

describe('token verification', async () => {
  const set = await createKeySet();
  const token = await signerFor(set).sign('user-1', 'session-1');

  it('accepts a token the login signed, and returns its claims', async () => {
    expect(await verifierFor(set)(token)).toMatchObject({
      sub: 'user-1',
      iss: settings.issuer,
      aud: settings.audience,
    });
  });

  it.each([
    ['expired', async () => token, new Date(NOW.getTime() + 3601 * 1000), 'ERR_JWT_EXPIRED'],
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

  it('rejects a genuine token without a string sid (the session it belongs to)', async () => {
    const { importJWK } = await import('jose');
    const { status, retiredAt, ...jwk } = activeKey(set);
    const privateKey = await importJWK(jwk, 'RS256');
    const signed = (sid: unknown) =>
      new SignJWT({ sub: 'u', jti: 'j', ...(sid !== undefined && { sid }) })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt(NOW.getTime() / 1000)
        .setNotBefore(NOW.getTime() / 1000)
        .setExpirationTime(NOW.getTime() / 1000 + 60)
        .sign(privateKey);
    for (const sid of [undefined, 42, '']) {
      await expect(verifierFor(set)(await signed(sid))).rejects.toMatchObject({
        code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      });
    }
    expect(await verifierFor(set)(await signed('s-1'))).toMatchObject({ sid: 's-1' });
  });

  it('after a rotation, still accepts a token signed with the previous key', async () => {
    const rotated = await rotateKeySet(set, NOW.getTime() / 1000, 4 * 3600);
    expect(await verifierFor(rotated)(token)).toMatchObject({ sub: 'user-1' });
    // And the rotated set signs with the key that was published as next.
    const fresh = await signerFor(rotated).sign('user-2', 'session-2');
    expect(await verifierFor(rotated)(fresh)).toMatchObject({ sub: 'user-2' });
  });

  it('rejects a token signed with a key removed from the set', async () => {
    const once = await rotateKeySet(set, NOW.getTime() / 1000, 4 * 3600);
    const removed = await rotateKeySet(once, NOW.getTime() / 1000 + 4 * 3600, 4 * 3600);
    expect(removed.keys.map((key) => key.kid)).not.toContain(set.keys[0]?.kid);
    await expect(verifierFor(removed)(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});
