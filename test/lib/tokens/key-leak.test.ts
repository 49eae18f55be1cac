import { createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { maintainKeySet, revokeStoredKeys, type SecretVersions } from '#lib/tokens/key-rotation.ts';
import {
  activeKey,
  createKeySet,
  type KeySet,
  PRIVATE_MEMBERS,
  parseKeySet,
  pruneKeySet,
  publicJwks,
  revokeKeys,
  rotateKeySet,
  type StoredKey,
} from '#lib/tokens/key-set.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';

const DAY = 86_400;
const CREATED = 1_800_000_000;
const RETAIN = 900 + JWKS_CACHE_MARGIN_SECONDS;
const ROTATED = CREATED + JWKS_CACHE_MARGIN_SECONDS;

/** A token as whoever holds `key`'s private members would mint it, with a fresh iat at `nowSeconds`. */
const mint = async (key: StoredKey, nowSeconds: number) => {
  const { status, retiredAt, publishedAt, ...jwk } = key;
  return new SignJWT({ sid: 's' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.kid })
    .setSubject('u')
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 900)
    .sign(await importJWK(jwk, 'RS256'));
};
/** Verification against a published JWKS, with the clock frozen at `nowSeconds`. */
const verifies = (token: string, jwks: ReturnType<typeof publicJwks>, nowSeconds: number) =>
  jwtVerify(token, createLocalJWKSet(jwks), { currentDate: new Date(nowSeconds * 1000) }).then(
    () => true,
    () => false,
  );
const hasPrivate = (key: StoredKey) => PRIVATE_MEMBERS.some((member) => key[member] !== undefined);

/** One secret's versions in memory, as lib/tokens/key-rotation.test.ts has them, with a pending flag. */
const store = (set: KeySet) => {
  let value = JSON.stringify(set);
  let published = '';
  const state = { pending: false };
  const versions: SecretVersions = {
    current: async () => ({ versionId: 'v', value }),
    putCurrent: async (next) => {
      value = next;
    },
    pending: async () => undefined,
    putPending: async () => undefined,
    promote: async () => undefined,
    rotationPending: async () => state.pending,
  };
  return {
    state,
    versions,
    publicKeys: {
      publish: async (jwks: string) => {
        published = jwks;
      },
    },
    set: () => parseKeySet(value),
    published: () => JSON.parse(published) as ReturnType<typeof publicJwks>,
    publishedText: () => published,
  };
};

describe('a retired key (frozen clock)', () => {
  it('is published within its retention and not a second after, and a token it signs is then refused', async () => {
    const set = await createKeySet(CREATED);
    const leaked = activeKey(set); // its private members as they were before it retired
    const { set: rotated } = await rotateKeySet(set, { nowSeconds: ROTATED, retainSeconds: RETAIN });
    const times = (nowSeconds: number) => ({ nowSeconds, retainSeconds: RETAIN });

    const inside = ROTATED + RETAIN - 1;
    expect(publicJwks(rotated, times(inside)).keys.map((key) => key.kid)).toContain(leaked.kid);
    expect(await verifies(await mint(leaked, inside), publicJwks(rotated, times(inside)), inside)).toBe(true);

    const past = ROTATED + RETAIN;
    expect(publicJwks(rotated, times(past)).keys.map((key) => key.kid)).not.toContain(leaked.kid);
    // 30 days on, with a fresh iat: refused, whether the JWKS was filtered on writing or pruned.
    const later = ROTATED + 30 * DAY;
    const token = await mint(leaked, later);
    expect(await verifies(token, publicJwks(rotated, times(later)), later)).toBe(false);
    expect(await verifies(token, publicJwks(pruneKeySet(rotated, times(later))), later)).toBe(false);
  });

  it('is pruned by the upkeep without a rotation: dropped from the set and the JWKS once its retention ends', async () => {
    const { set: rotated } = await rotateKeySet(await createKeySet(CREATED), {
      nowSeconds: ROTATED,
      retainSeconds: RETAIN,
    });
    const retired = rotated.keys.find((key) => key.status === 'retired')!;
    const keys = store(rotated);

    expect(
      await maintainKeySet(keys.versions, keys.publicKeys, { nowSeconds: ROTATED + 60, retainSeconds: RETAIN }),
    ).toMatchObject({
      outcome: 'unchanged',
    });
    const result = await maintainKeySet(keys.versions, keys.publicKeys, {
      nowSeconds: ROTATED + RETAIN,
      retainSeconds: RETAIN,
    });
    expect(result.outcome).toBe('pruned');
    expect(keys.set().keys.map((key) => key.kid)).not.toContain(retired.kid);
    expect(keys.published().keys.map((key) => key.kid)).toEqual(keys.set().keys.map((key) => key.kid));
  });

  it('is left to the next upkeep while a rotation is pending, whose set becomes current as it was made', async () => {
    const { set: rotated } = await rotateKeySet(await createKeySet(CREATED), {
      nowSeconds: ROTATED,
      retainSeconds: RETAIN,
    });
    const keys = store(rotated);
    keys.state.pending = true;
    const past = { nowSeconds: ROTATED + RETAIN, retainSeconds: RETAIN };
    expect(await maintainKeySet(keys.versions, keys.publicKeys, past)).toEqual({
      outcome: 'rotation-pending',
      kids: rotated.keys.map((key) => key.kid),
    });
    expect(keys.set()).toEqual(rotated);
    expect(keys.publishedText()).toBe('');
    // A store that cannot tell (the local key files) has no rotation: the upkeep prunes.
    const { rotationPending: _, ...files } = keys.versions;
    const result = await maintainKeySet(files, keys.publicKeys, past);
    expect(result).toEqual({ outcome: 'pruned', kids: keys.set().keys.map((key) => key.kid) });
    expect(result.kids).toHaveLength(2);
  });

  it('is neither pruned nor revoked from a key set that does not parse: each says so, writing nothing', async () => {
    const keys = store(await createKeySet(CREATED));
    await keys.versions.putCurrent('{"keys":"damaged by hand"}');
    const times = { nowSeconds: CREATED, retainSeconds: RETAIN };
    await expect(maintainKeySet(keys.versions, keys.publicKeys, times)).rejects.toThrow(
      /^Refusing to prune the key set: the current key set does not parse/,
    );
    await expect(revokeStoredKeys(keys.versions, keys.publicKeys, ['any'], times)).rejects.toThrow(
      /^Refusing to revoke: the current key set does not parse/,
    );
    expect(keys.publishedText()).toBe('');
  });

  it('holds no private member once retired; the next and active keys keep theirs', async () => {
    const { set: rotated } = await rotateKeySet(await createKeySet(CREATED), {
      nowSeconds: ROTATED,
      retainSeconds: RETAIN,
    });
    for (const key of rotated.keys) expect(hasPrivate(key)).toBe(key.status !== 'retired');
    // A set stored before keys were stripped loses them at the next upkeep.
    const legacy = { keys: rotated.keys.map((key) => (key.status === 'retired' ? { ...key, d: 'x', p: 'x' } : key)) };
    const pruned = pruneKeySet(parseKeySet(JSON.stringify(legacy)), { nowSeconds: ROTATED, retainSeconds: RETAIN });
    expect(
      pruned.keys
        .filter(hasPrivate)
        .map((key) => key.status)
        .sort(),
    ).toEqual(['active', 'next']);
    // And a set whose active key lost its private members is refused.
    const broken = { keys: rotated.keys.map(({ d, ...key }) => key) };
    expect(() => parseKeySet(JSON.stringify(broken))).toThrow(
      'the active and next keys must hold their private members',
    );
  });
});

describe('revoking a leaked key', () => {
  it('makes a FRESH key that signs at once, replaces the next key stored beside it, and stops publishing both', async () => {
    const set = await createKeySet(CREATED);
    const leaked = activeKey(set);
    const leakedNext = set.keys.find((key) => key.status === 'next')!;
    const now = CREATED + 60; // well inside the 3 hours a rotation would wait
    const {
      set: revoked,
      revoked: kids,
      activeKid,
    } = await revokeKeys(set, [leaked.kid], { nowSeconds: now, retainSeconds: RETAIN });

    expect(kids.sort()).toEqual([leaked.kid, leakedNext.kid].sort());
    expect([leaked.kid, leakedNext.kid]).not.toContain(activeKid);
    expect(revoked.keys.map((key) => key.status).sort()).toEqual(['active', 'next']);
    const jwks = publicJwks(revoked, { nowSeconds: now, retainSeconds: RETAIN });
    expect(jwks.keys.map((key) => key.kid)).not.toContain(leaked.kid);
    expect(jwks.keys.map((key) => key.kid)).not.toContain(leakedNext.kid);
    expect(await verifies(await mint(leaked, now), jwks, now)).toBe(false);
    expect(await verifies(await mint(leakedNext, now), jwks, now)).toBe(false);
    expect(await verifies(await mint(activeKey(revoked), now), jwks, now)).toBe(true);
  });

  it('drops a retired key at once, keeping the signer; refuses an unknown kid', async () => {
    const { set: rotated } = await rotateKeySet(await createKeySet(CREATED), {
      nowSeconds: ROTATED,
      retainSeconds: RETAIN,
    });
    const retired = rotated.keys.find((key) => key.status === 'retired')!;
    const times = { nowSeconds: ROTATED + 60, retainSeconds: RETAIN };
    const { set: revoked, activeKid, revoked: kids } = await revokeKeys(rotated, [retired.kid], times);
    expect(activeKid).toBe(activeKey(rotated).kid);
    expect(kids).toEqual([retired.kid]);
    // The next and active keys stay as they were: no fresh key, nothing else revoked.
    expect(revoked.keys).toEqual(rotated.keys.filter((key) => key.kid !== retired.kid));
    // Revoking the active key leaves the retired one: it still verifies the tokens it signed.
    const { set: afterActive } = await revokeKeys(rotated, [activeKey(rotated).kid], times);
    expect(afterActive.keys.map((key) => key.kid)).toContain(retired.kid);
    expect(afterActive.keys).toHaveLength(3);
    await expect(revokeKeys(rotated, ['no-such-kid'], times)).rejects.toThrow('No key with kid no-such-kid');
  });

  it('replaces a next key named alone with a fresh one, keeping the signer', async () => {
    const set = await createKeySet(CREATED);
    const next = set.keys.find((key) => key.status === 'next')!;
    const times = { nowSeconds: CREATED + 60, retainSeconds: RETAIN };
    const { set: revoked, revoked: kids, activeKid } = await revokeKeys(set, [next.kid], times);
    expect(kids).toEqual([next.kid]);
    expect(activeKid).toBe(activeKey(set).kid);
    const fresh = revoked.keys.find((key) => key.status === 'next')!;
    expect(fresh.kid).not.toBe(next.kid);
    expect(fresh.publishedAt).toBe(CREATED + 60);
    expect(revoked.keys.map((key) => key.kid).sort()).toEqual([activeKey(set).kid, fresh.kid].sort());
  });

  it('writes the JWKS without the revoked kids, then the set; refuses while a rotation is pending', async () => {
    const set = await createKeySet(CREATED);
    const keys = store(set);
    const times = { nowSeconds: CREATED + 60, retainSeconds: RETAIN };
    keys.state.pending = true;
    await expect(revokeStoredKeys(keys.versions, keys.publicKeys, [activeKey(set).kid], times)).rejects.toThrow(
      'a rotation is pending',
    );
    keys.state.pending = false;
    const result = await revokeStoredKeys(keys.versions, keys.publicKeys, [activeKey(set).kid], times);
    expect(result.previousActiveKid).toBe(activeKey(set).kid);
    expect(activeKey(keys.set()).kid).toBe(result.activeKid);
    expect(
      keys
        .published()
        .keys.map((key) => key.kid)
        .sort(),
    ).toEqual(
      keys
        .set()
        .keys.map((key) => key.kid)
        .sort(),
    );
    expect(JSON.stringify(keys.published())).not.toContain('"d"');
  });
});
