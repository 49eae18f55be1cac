import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activeKey, publicJwks, revokeKeys, rotateKeySet } from '#lib/tokens/key-set.ts';
import {
  createKeySetPublicKeyProvider,
  createPublicKeyProvider,
  PUBLIC_KEYS_MAX_AGE_SECONDS,
  verificationKeys,
} from '#lib/tokens/public-key-provider.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider, SIGNING_KEYS_MAX_AGE_SECONDS } from '#lib/tokens/signing-key-provider.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { manualClock } from '#test/support/handler.ts';
import { testKeySet } from '#test/support/keys.ts';

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`;
const POLICY = { issuer: 'https://auth.example.test', audience: 'movie-knight', ttlSeconds: 900 };

/**
 * The signing and verifying keys read from a loopback Secrets Manager through the real SDK, as the
 * functions read them: a rotation or a revocation reaches a warm container once the value it
 * read is 300 s old (SIGNING_KEYS_MAX_AGE_SECONDS, PUBLIC_KEYS_MAX_AGE_SECONDS), not before.
 */
describe('the key providers, on a clock, against Secrets Manager', () => {
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;

  beforeAll(async () => {
    const set = await testKeySet();
    secrets = await startFakeSecretsManager({
      [ARN('signing')]: JSON.stringify(set),
      [ARN('public')]: JSON.stringify(publicJwks(set)),
      [ARN('verifying')]: JSON.stringify(set),
    });
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secrets.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    secrets.close();
  });

  /** A token signed now with the active key of `set`. */
  const tokenOf = async (set: Awaited<ReturnType<typeof testKeySet>>) =>
    createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(set) }), POLICY).sign('u', 's');
  const verifies = (keys: Parameters<typeof verificationKeys>[0], token: string) =>
    jwtVerify(token, verificationKeys(keys), { issuer: POLICY.issuer, audience: POLICY.audience }).then(
      ({ payload }) => payload.sub === 'u',
      (error: { code?: string }) => error.code,
    );

  it('sign with the key a rotation promoted once the key set read is 300 s old, not before', async () => {
    const set = await testKeySet();
    const time = manualClock();
    const signer = createTokenSigner(
      createSigningKeyProvider({ secretId: ARN('signing') }, { clock: time.clock }),
      POLICY,
    );
    const kid = async () => decodeProtectedHeader(await signer.sign('u', 's')).kid;
    expect(await kid()).toBe(activeKey(set).kid);
    const nowSeconds = Math.max(...set.keys.map((key) => key.publishedAt ?? 0)) + 3 * 3600;
    const { set: rotated } = await rotateKeySet(set, { nowSeconds, retainSeconds: 3600 });
    secrets.put(ARN('signing'), JSON.stringify(rotated));
    time.advance(SIGNING_KEYS_MAX_AGE_SECONDS - 1);
    expect(await kid()).toBe(activeKey(set).kid);
    time.advance(1);
    expect(await kid()).toBe(activeKey(rotated).kid);
  });

  it.each([
    ['the public JWKS', ARN('public'), createPublicKeyProvider, true],
    [
      'the private key set (the functions that sign and verify)',
      ARN('verifying'),
      createKeySetPublicKeyProvider,
      false,
    ],
  ] as const)(
    'stop verifying a revoked key once %s read is 300 s old, not before',
    async (_, secretId, provider, jwks) => {
      const set = await testKeySet();
      const time = manualClock();
      const keys = provider({ secretId }, { clock: time.clock });
      const token = await tokenOf(set);
      expect(await verifies(keys, token)).toBe(true);
      const { set: revoked } = await revokeKeys(set, [activeKey(set).kid], { nowSeconds: 0, retainSeconds: 3600 });
      secrets.put(secretId, JSON.stringify(jwks ? publicJwks(revoked) : revoked));
      time.advance(PUBLIC_KEYS_MAX_AGE_SECONDS - 1);
      expect(await verifies(keys, token)).toBe(true);
      time.advance(1);
      expect(await verifies(keys, token)).toBe('ERR_JWKS_NO_MATCHING_KEY');
      expect(await verifies(keys, await tokenOf(revoked))).toBe(true);
      expect((await keys()).jwks).toEqual(publicJwks(revoked));
    },
  );

  it.each([
    ['the public JWKS', createPublicKeyProvider],
    ['the private key set', createKeySetPublicKeyProvider],
  ] as const)('answer 503 when the secret of %s holds something else', async (_, provider) => {
    await expect(provider({ value: 'q8ZrandomStringFromCloudFormation' })()).rejects.toMatchObject({ statusCode: 503 });
    // Each one's secret holding the other's value: a private set is no JWKS, a JWKS no key set.
    const set = await testKeySet();
    const wrong = provider === createPublicKeyProvider ? JSON.stringify(set) : JSON.stringify(publicJwks(set));
    await expect(provider({ value: wrong })()).rejects.toMatchObject({ statusCode: 503 });
  });

  it('say in the 503 why the public secret holds no JWKS, without echoing it', async () => {
    const causeOf = (value: string) =>
      createPublicKeyProvider({ value })().then(
        () => undefined,
        (error: Error) => (error.cause as Error).message,
      );
    expect(await causeOf('q8ZrandomStringFromCloudFormation')).toBe('Public JWKS is not JSON');
    const set = await testKeySet();
    const leaked = await causeOf(JSON.stringify(set));
    expect(leaked).toMatch(/^Public JWKS is invalid: /);
    for (const key of set.keys) expect(leaked).not.toContain(key.d);
    // The signing and key-set providers keep theirs too.
    for (const provider of [createSigningKeyProvider, createKeySetPublicKeyProvider]) {
      const error = await provider({ value: 'q8ZrandomStringFromCloudFormation' })().catch((e: Error) => e);
      expect((error as Error).cause).toEqual(new Error('Key set is not JSON'));
    }
  });
});
