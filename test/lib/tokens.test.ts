import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createSecretReader } from '../../lib/secrets.ts';
import { createSigningKeyProvider, toSigningKey } from '../../lib/signing-key.ts';
import { createTokenSigner } from '../../lib/tokens.ts';

const SECRET = 'a-test-signing-key-of-at-least-32-bytes!';
const NOW = new Date('2026-11-26T12:00:00Z');
const settings = { issuer: 'https://auth.example.test', audience: 'movie-knight', ttlSeconds: 900 };

describe('createTokenSigner', () => {
  const signer = createTokenSigner(
    createSigningKeyProvider(createSecretReader({ value: SECRET })),
    settings,
    () => NOW,
  );

  it('signs HS256 with a kid and exactly the documented claims', async () => {
    const token = await signer.sign('user-1');
    const { key, kid } = await toSigningKey(SECRET);
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ['HS256'],
      currentDate: NOW,
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid });
    const iat = NOW.getTime() / 1000;
    expect(payload).toEqual({
      sub: 'user-1',
      iss: settings.issuer,
      aud: settings.audience,
      iat,
      exp: iat + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('gives every token a fresh jti', async () => {
    const [a, b] = await Promise.all([signer.sign('user-1'), signer.sign('user-1')]);
    const jti = async (token: string) =>
      (await jwtVerify(token, (await toSigningKey(SECRET)).key, { currentDate: NOW })).payload.jti;
    expect(await jti(a)).not.toBe(await jti(b));
  });

  it('names the key by its thumbprint, which changes with the key', async () => {
    const other = await toSigningKey(`${SECRET}-rotated`);
    expect(decodeProtectedHeader(await signer.sign('u')).kid).toBe((await toSigningKey(SECRET)).kid);
    expect(other.kid).not.toBe((await toSigningKey(SECRET)).kid);
  });

  it('is rejected by a verifier holding another key', async () => {
    const token = await signer.sign('user-1');
    const { key } = await toSigningKey('another-key-that-is-also-long-enough!!');
    await expect(jwtVerify(token, key, { currentDate: NOW })).rejects.toThrow();
  });
});
