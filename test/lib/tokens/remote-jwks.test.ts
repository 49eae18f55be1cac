import { once } from 'node:events';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeySet, type KeySet, publicJwks, rotateKeySet } from '#lib/tokens/key-set.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createTokenVerifier, remoteJwks } from '#lib/tokens/verifier.ts';

const settings = { issuer: 'https://auth.example.test/prod', audience: 'movie-knight', ttlSeconds: 3600 };
const signerFor = (set: KeySet) =>
  createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(set) }), settings);

/** What another service does: verify with the published JWKS, fetched over HTTP, as docs/tokens.md shows. */
describe('remoteJwks', () => {
  let published: KeySet;
  let fetches = 0;
  const server = createServer((_request, response) => {
    fetches += 1;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(publicJwks(published)));
  });
  let verify: ReturnType<typeof createTokenVerifier>;

  beforeAll(async () => {
    published = await createKeySet();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    verify = createTokenVerifier({
      keys: remoteJwks(`http://127.0.0.1:${port}/.well-known/jwks.json`),
      issuer: settings.issuer,
      audience: settings.audience,
      maxTokenAgeSeconds: settings.ttlSeconds,
      clientIds: ['movie-knight-app'],
    });
  });
  afterAll(() => {
    server.close();
  });

  it('verifies tokens with keys fetched once and cached', async () => {
    const signer = signerFor(published);
    await verify(await signer.sign('user-1', 'session-1'));
    await verify(await signer.sign('user-2', 'session-2'));
    expect(fetches).toBe(1);
  });

  it('refuses a token whose key was never published', async () => {
    const stranger = signerFor(await createKeySet());
    await expect(verify(await stranger.sign('user-1', 'session-1'))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
  });

  it('accepts tokens of the next key once it signs, since it was published before', async () => {
    // The rotation comes once the next key has been published long enough to start signing.
    const nowSeconds = Math.floor(Date.now() / 1000) + JWKS_CACHE_MARGIN_SECONDS;
    const { set: rotated } = await rotateKeySet(published, { nowSeconds, retainSeconds: 3600 });
    // The JWKS served before the rotation already held the key that now signs.
    expect((await verify(await signerFor(rotated).sign('user-3', 'session-3'))).sub).toBe('user-3');
    expect(fetches).toBe(1);
  });
});
