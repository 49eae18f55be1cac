import { describe, expect, it } from 'vitest';
import { activeKey, createKeySet, type KeySet, parseKeySet, publicJwks, rotateKeySet } from '#lib/tokens/key-set.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'status', 'retiredAt', 'publishedAt', 'oth', 'k'];
const DAY = 86_400;
const CREATED = 1_000 * DAY;
/** A rotation once the next key has been published long enough to sign. */
const rotate = async (set: KeySet, nowSeconds: number, retainSeconds = DAY) =>
  (await rotateKeySet(set, { nowSeconds, retainSeconds })).set;

const statuses = (set: KeySet) => set.keys.map((key) => key.status);

describe('key sets', () => {
  it('start with one active key and one next key, RSA 2048, named by thumbprint, published now', async () => {
    const set = await createKeySet(CREATED);
    expect(statuses(set)).toEqual(['active', 'next']);
    for (const key of set.keys) {
      expect(key.publishedAt).toBe(CREATED);
      expect(key.kty).toBe('RSA');
      expect(Buffer.from(key.n, 'base64url').length * 8).toBe(2048);
      expect(key.kid).toMatch(/^[\w-]{43}$/);
    }
    expect(set.keys[0]?.kid).not.toBe(set.keys[1]?.kid);
  });

  it('are published now when no time is given', async () => {
    const start = Math.floor(Date.now() / 1000);
    const set = await createKeySet();
    for (const key of set.keys) {
      expect(key.publishedAt).toBeGreaterThanOrEqual(start);
      expect(key.publishedAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    }
    // Neither key is the signer's until one is active: a set of next keys has no signer.
    expect(() => activeKey({ keys: set.keys.map((key) => ({ ...key, status: 'next' as const })) })).toThrow(
      'Key set has no active key',
    );
  });

  it('rotate: next signs, active retires with a timestamp, a new next is published', async () => {
    const set = await createKeySet(CREATED);
    const [active, next] = set.keys;
    const now = CREATED + JWKS_CACHE_MARGIN_SECONDS;
    const { set: rotated, promoted } = await rotateKeySet(set, { nowSeconds: now, retainSeconds: DAY });
    expect(promoted).toBe(true);
    expect(activeKey(rotated).kid).toBe(next?.kid);
    expect(rotated.keys.find((key) => key.kid === active?.kid)).toMatchObject({ status: 'retired', retiredAt: now });
    expect(statuses(rotated).sort()).toEqual(['active', 'next', 'retired']);
    expect(rotated.keys.find((key) => key.status === 'next')?.publishedAt).toBe(now);
  });

  it('keep the signer when the next key was published less than the JWKS cache margin ago', async () => {
    const set = await createKeySet(CREATED);
    const once = await rotate(set, CREATED + JWKS_CACHE_MARGIN_SECONDS);
    // A second rotation minutes later: its next key is not in verifiers' cached JWKS yet.
    const early = await rotateKeySet(once, {
      nowSeconds: CREATED + JWKS_CACHE_MARGIN_SECONDS + 600,
      retainSeconds: DAY,
    });
    expect(early.promoted).toBe(false);
    expect(early.reason).toContain('published for 600 s, less than the 10800 s');
    expect(early.set).toEqual(once);
    // Once the margin has passed, the same next key may sign.
    const later = await rotate(once, CREATED + 2 * JWKS_CACHE_MARGIN_SECONDS);
    expect(activeKey(later).kid).toBe(once.keys.find((key) => key.status === 'next')?.kid);
  });

  it('still drop expired retired keys on a rotation that comes too early', async () => {
    const once = await rotate(await createKeySet(CREATED), CREATED + JWKS_CACHE_MARGIN_SECONDS);
    const twice = await rotate(once, CREATED + 2 * JWKS_CACHE_MARGIN_SECONDS, 10 * DAY);
    const retiredFirst = once.keys.find((key) => key.status === 'retired')?.kid;
    const early = await rotateKeySet(twice, {
      nowSeconds: CREATED + 2 * JWKS_CACHE_MARGIN_SECONDS + 60,
      retainSeconds: 60,
    });
    expect(early.promoted).toBe(false);
    expect(activeKey(early.set).kid).toBe(activeKey(twice).kid);
    expect(early.set.keys.map((key) => key.kid)).not.toContain(retiredFirst);
  });

  it('give a set without a next key a new one, published now, instead of making an unpublished key active', async () => {
    const set = await createKeySet(CREATED);
    const withoutNext = { keys: set.keys.filter((key) => key.status !== 'next') };
    const {
      set: rotated,
      promoted,
      reason,
    } = await rotateKeySet(withoutNext, {
      nowSeconds: CREATED + DAY,
      retainSeconds: DAY,
    });
    expect(promoted).toBe(false);
    expect(reason).toBe('the key set had no next key; one is published now and signs from a later rotation');
    expect(activeKey(rotated).kid).toBe(activeKey(set).kid);
    expect(rotated.keys.find((key) => key.status === 'next')?.publishedAt).toBe(CREATED + DAY);
  });

  it('promote a next key from before publish times were recorded: it was published when it was made', async () => {
    const set = await createKeySet(CREATED);
    const legacy = { keys: set.keys.map(({ publishedAt, ...key }) => key) };
    expect(parseKeySet(JSON.stringify(legacy)).keys[0]).not.toHaveProperty('publishedAt');
    expect((await rotateKeySet(legacy, { nowSeconds: CREATED, retainSeconds: DAY })).promoted).toBe(true);
  });

  it('drop a retired key once its retention has passed, not before', async () => {
    const first = await rotate(await createKeySet(CREATED), CREATED + JWKS_CACHE_MARGIN_SECONDS);
    const retired = first.keys.find((key) => key.status === 'retired')?.kid;
    const rotatedAt = CREATED + JWKS_CACHE_MARGIN_SECONDS;
    const soon = await rotate(first, rotatedAt + DAY - 1);
    expect(soon.keys.map((key) => key.kid)).toContain(retired);
    const later = await rotate(first, rotatedAt + DAY);
    expect(later.keys.map((key) => key.kid)).not.toContain(retired);
  });

  it('publish public members only', async () => {
    const set = await rotate(await createKeySet(CREATED), CREATED + JWKS_CACHE_MARGIN_SECONDS);
    const jwks = publicJwks(set);
    expect(jwks.keys).toHaveLength(3);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    const text = JSON.stringify(jwks);
    for (const key of set.keys) expect(text).not.toContain(key.d);
  });

  it.each([
    ['text that is not JSON', 'random-password-from-cloudformation', 'Key set is not JSON'],
    ['an empty set', '{"keys":[]}', 'Key set is invalid'],
    ['a set without an active key', 'NO_ACTIVE', 'Key set is invalid: exactly one key must be active'],
  ])('refuse %s, without echoing it', async (_, text, message) => {
    const input =
      text === 'NO_ACTIVE'
        ? JSON.stringify({ keys: (await createKeySet()).keys.map((key) => ({ ...key, status: 'next' })) })
        : text;
    const error = (() => {
      try {
        parseKeySet(input);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain(message);
    expect(error?.message).not.toContain(input.slice(0, 20));
  });
});
