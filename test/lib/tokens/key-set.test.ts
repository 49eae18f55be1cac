import { describe, expect, it } from 'vitest';
import { activeKey, createKeySet, type KeySet, parseKeySet, publicJwks, rotateKeySet } from '#lib/tokens/key-set.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'status', 'retiredAt', 'oth', 'k'];
const DAY = 86_400;

const statuses = (set: KeySet) => set.keys.map((key) => key.status);

describe('key sets', () => {
  it('start with one active key and one next key, RSA 2048, named by thumbprint', async () => {
    const set = await createKeySet();
    expect(statuses(set)).toEqual(['active', 'next']);
    for (const key of set.keys) {
      expect(key.kty).toBe('RSA');
      expect(Buffer.from(key.n, 'base64url').length * 8).toBe(2048);
      expect(key.kid).toMatch(/^[\w-]{43}$/);
    }
    expect(set.keys[0]?.kid).not.toBe(set.keys[1]?.kid);
  });

  it('rotate: next signs, active retires with a timestamp, a new next is published', async () => {
    const set = await createKeySet();
    const [active, next] = set.keys;
    const rotated = await rotateKeySet(set, 1_000 * DAY, DAY);
    expect(activeKey(rotated).kid).toBe(next?.kid);
    expect(rotated.keys.find((key) => key.kid === active?.kid)).toMatchObject({
      status: 'retired',
      retiredAt: 1_000 * DAY,
    });
    expect(statuses(rotated).sort()).toEqual(['active', 'next', 'retired']);
  });

  it('drop a retired key once its retention has passed, not before', async () => {
    const first = await rotateKeySet(await createKeySet(), 1_000 * DAY, DAY);
    const retired = first.keys.find((key) => key.status === 'retired')?.kid;
    const soon = await rotateKeySet(first, 1_000 * DAY + DAY - 1, DAY);
    expect(soon.keys.map((key) => key.kid)).toContain(retired);
    const later = await rotateKeySet(first, 1_000 * DAY + DAY, DAY);
    expect(later.keys.map((key) => key.kid)).not.toContain(retired);
  });

  it('publish public members only', async () => {
    const set = await rotateKeySet(await createKeySet(), 1_000 * DAY, DAY);
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
