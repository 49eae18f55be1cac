import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { activeKey, publicJwks } from '#lib/tokens/key-set.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { testKeySet } from '#test/support/keys.ts';

const NOW = new Date('2026-11-26T12:00:00Z');
const settings = { issuer: 'https://auth.example.test', audience: 'movie-knight', ttlSeconds: 900 };

describe('createTokenSigner', () => {
  const signer = async () => {
    const set = await testKeySet();
    return {
      set,
      signer: createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(set) }), settings, () => NOW),
    };
  };

  it('signs RS256 at+jwt with the active key and exactly the documented claims', async () => {
    const { set, signer: s } = await signer();
    const token = await s.sign('user-1', 'session-1');
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(publicJwks(set)), {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ['RS256'],
      typ: 'at+jwt',
      currentDate: NOW,
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: activeKey(set).kid });
    const iat = NOW.getTime() / 1000;
    expect(payload).toEqual({
      sub: 'user-1',
      sid: 'session-1',
      // RFC 9068 section 2.2: the client the token was issued to; the default client unless named.
      client_id: 'movie-knight-app',
      iss: settings.issuer,
      aud: settings.audience,
      iat,
      nbf: iat,
      exp: iat + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('names the client it is told to, or the first registered one', async () => {
    const set = await testKeySet();
    const keys = createSigningKeyProvider({ value: JSON.stringify(set) });
    const s = createTokenSigner(keys, { ...settings, clientIds: ['web', 'ios'] }, () => NOW);
    const clientOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).client_id;
    expect(s.defaultClientId).toBe('web');
    expect(clientOf(await s.sign('user-1', 'session-1'))).toBe('web');
    expect(clientOf(await s.sign('user-1', 'session-1', 'ios'))).toBe('ios');
    // An empty list (CLIENT_IDS set to nothing) is the default client.
    const none = createTokenSigner(keys, { ...settings, clientIds: [] }, () => NOW);
    expect(none.defaultClientId).toBe('movie-knight-app');
    expect(clientOf(await none.sign('user-1', 'session-1'))).toBe('movie-knight-app');
  });

  it('gives every token a fresh jti', async () => {
    const { signer: s } = await signer();
    const [a, b] = await Promise.all([s.sign('user-1', 'session-1'), s.sign('user-1', 'session-1')]);
    const jti = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;
    expect(jti(a)).not.toBe(jti(b));
  });

  it('never signs with the next key, which is published ahead of its turn', async () => {
    const { set, signer: s } = await signer();
    const next = set.keys.find((key) => key.status === 'next');
    expect(decodeProtectedHeader(await s.sign('u', 'session-1')).kid).not.toBe(next?.kid);
  });

  it('answers 503 for a secret that holds no key set', async () => {
    const broken = createTokenSigner(createSigningKeyProvider({ value: 'not a key set' }), settings);
    await expect(broken.ready()).rejects.toMatchObject({ statusCode: 503 });
  });
});
