import { describe, expect, it } from 'vitest';
import {
  ensureKeySet,
  keyStatus,
  type PublicKeysStore,
  rotationStep,
  type SecretVersions,
} from '#lib/tokens/key-rotation.ts';
import { activeKey, createKeySet, type KeySet, parseKeySet, rotateKeySet } from '#lib/tokens/key-set.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';
import { parsePublicJwks } from '#lib/tokens/public-jwks.ts';

/** Secrets Manager's versions and staging labels for one secret, in memory. */
const versionsOf = (initial: string) => {
  const values = new Map<string, string>([['v0', initial]]);
  const stages = new Map<string, string>([['AWSCURRENT', 'v0']]);
  const versions: SecretVersions = {
    async current() {
      const versionId = stages.get('AWSCURRENT') ?? '';
      return { versionId, value: values.get(versionId) ?? '' };
    },
    async pending(token) {
      return stages.get('AWSPENDING') === token ? values.get(token) : undefined;
    },
    async putPending(token, value) {
      values.set(token, value);
      stages.set('AWSPENDING', token);
    },
    async putCurrent(value) {
      const id = `v${values.size}`;
      values.set(id, value);
      stages.set('AWSCURRENT', id);
    },
    async promote(token, from) {
      if (stages.get('AWSCURRENT') !== from) throw new Error('AWSCURRENT moved');
      stages.set('AWSCURRENT', token);
      stages.delete('AWSPENDING');
    },
  };
  // Every write in order, private and public alike, to check what verifiers could see when.
  const writes: string[] = [];
  const record = <T extends object>(store: T, name: string): T =>
    Object.fromEntries(
      Object.entries(store).map(([method, fn]) => [
        method,
        async (...args: unknown[]) => {
          if (method !== 'current' && method !== 'pending') writes.push(`${name}.${method}`);
          return (fn as (...a: unknown[]) => unknown)(...args);
        },
      ]),
    ) as T;
  const published: string[] = [];
  const publicKeys: PublicKeysStore = {
    async publish(jwks) {
      published.push(jwks);
    },
  };
  return {
    versions: record(versions, 'private'),
    publicKeys: record(publicKeys, 'public'),
    writes,
    /** The kids in the last public JWKS written. */
    publishedKids: () => parsePublicJwks(published.at(-1) ?? '{"keys":[]}').keys.map((key) => key.kid),
    currentSet: async () => parseKeySet((await versions.current()).value),
  };
};

const CREATED = 1_800_000_000;
/** A rotation the schedule runs: the next key has been published for the whole margin. */
const clock = { nowSeconds: CREATED + JWKS_CACHE_MARGIN_SECONDS, retainSeconds: 4 * 3600 };
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const rotate = async (
  { versions, publicKeys }: Pick<ReturnType<typeof versionsOf>, 'versions' | 'publicKeys'>,
  token: string,
  times = clock,
) => {
  const outcomes = [];
  for (const step of STEPS) outcomes.push(await rotationStep(versions, publicKeys, step, token, times));
  return outcomes;
};
const kids = (set: KeySet) => set.keys.map((key) => key.kid).sort();

describe('key set setup', () => {
  it('replaces the random string CloudFormation put in the secret with a key set, publishing it first', async () => {
    const store = versionsOf('x7Gq2randomPasswordFromCloudFormation');
    expect(
      await ensureKeySet(store.versions, store.publicKeys, {
        request: 'Create',
        nowSeconds: CREATED,
        retainSeconds: clock.retainSeconds,
      }),
    ).toBe('created');
    const set = await store.currentSet();
    expect(set.keys.map((key) => key.status)).toEqual(['active', 'next']);
    expect(set.keys.map((key) => key.publishedAt)).toEqual([CREATED, CREATED]);
    expect(store.publishedKids().sort()).toEqual(kids(set));
    expect(store.writes).toEqual(['public.publish', 'private.putCurrent']);
  });

  it('keeps a key set that is already there (a redeploy must not cut off live tokens), and publishes it', async () => {
    const set = await createKeySet();
    const store = versionsOf(JSON.stringify(set));
    expect(
      await ensureKeySet(store.versions, store.publicKeys, { request: 'Update', retainSeconds: clock.retainSeconds }),
    ).toBe('kept');
    expect((await store.versions.current()).value).toBe(JSON.stringify(set));
    // A stack deployed before the public secret existed gets it filled on the update.
    expect(store.publishedKids().sort()).toEqual(kids(set));
    expect(store.writes).toEqual(['public.publish']);
  });

  it('publishes, on an update, the retired keys still within their retention and no other', async () => {
    // Rotated twice on the real clock: one key retired a minute ago, one a day ago.
    const now = Math.floor(Date.now() / 1000);
    const at = (nowSeconds: number) => ({ nowSeconds, retainSeconds: 2 * 86_400, publishedForSeconds: 0 });
    const once = (await rotateKeySet(await createKeySet(now - 86_400), at(now - 86_400))).set;
    const twice = (await rotateKeySet(once, at(now - 60))).set;
    const retiredAt = (seconds: number) => twice.keys.find((key) => key.retiredAt === seconds)?.kid;
    const [dayAgo, minuteAgo] = [retiredAt(now - 86_400), retiredAt(now - 60)];
    expect(dayAgo && minuteAgo).toBeDefined();
    const store = versionsOf(JSON.stringify(twice));
    await ensureKeySet(store.versions, store.publicKeys, { request: 'Update', retainSeconds: 3600 });
    expect(store.publishedKids()).toContain(minuteAgo);
    expect(store.publishedKids()).not.toContain(dayAgo);
    expect(store.publishedKids()).toHaveLength(3);
    // The set itself is the upkeep's to prune.
    expect((await store.versions.current()).value).toBe(JSON.stringify(twice));
  });

  it('keeps a key set that is already there on a create too (a retried custom resource)', async () => {
    const set = await createKeySet(CREATED);
    const store = versionsOf(JSON.stringify(set));
    expect(await ensureKeySet(store.versions, store.publicKeys, { request: 'Create', retainSeconds: 3600 })).toBe(
      'kept',
    );
    expect(store.writes).toEqual(['public.publish']);
  });

  it('fails an update loudly, writing nothing, when the secret no longer holds a key set', async () => {
    const store = versionsOf('{"keys":"damaged by hand"}');
    await expect(
      ensureKeySet(store.versions, store.publicKeys, { request: 'Update', retainSeconds: clock.retainSeconds }),
    ).rejects.toThrow(/^Refusing to update the key setup: the current key set does not parse/);
    expect(store.writes).toEqual([]);
  });
});

describe('key set rotation steps', () => {
  it('promote the next key to active and make the rotated set current, publishing it before each write', async () => {
    const set = await createKeySet(CREATED);
    const store = versionsOf(JSON.stringify(set));
    const outcomes = await rotate(store, 'token-1');
    expect(outcomes.map((result) => result.outcome)).toEqual([
      'pending-created',
      'nothing-to-set',
      'tested',
      'promoted',
    ]);
    expect(outcomes[0]).toStrictEqual({ outcome: 'pending-created', promoted: true });
    const rotated = await store.currentSet();
    expect(activeKey(rotated).kid).toBe(set.keys.find((key) => key.status === 'next')?.kid);
    expect(rotated.keys.find((key) => key.kid === activeKey(set).kid)?.status).toBe('retired');
    expect((await store.versions.current()).versionId).toBe('token-1');
    // The public JWKS is written before the pending set and again before it becomes current.
    expect(store.writes).toEqual(['public.publish', 'private.putPending', 'public.publish', 'private.promote']);
    expect(store.publishedKids().sort()).toEqual(kids(rotated));
  });

  it('publish at createSecret a JWKS that holds every key that may sign before and after the rotation', async () => {
    const set = await createKeySet(CREATED);
    const store = versionsOf(JSON.stringify(set));
    await rotationStep(store.versions, store.publicKeys, 'createSecret', 'token-1', clock);
    const pending = parseKeySet((await store.versions.pending('token-1'))!);
    for (const kid of [...kids(set), ...kids(pending)]) expect(store.publishedKids()).toContain(kid);
  });

  it('create the pending set only once when Secrets Manager retries createSecret', async () => {
    const store = versionsOf(JSON.stringify(await createKeySet(CREATED)));
    await rotationStep(store.versions, store.publicKeys, 'createSecret', 'token-2', clock);
    const first = await store.versions.pending('token-2');
    expect(await rotationStep(store.versions, store.publicKeys, 'createSecret', 'token-2', clock)).toEqual({
      outcome: 'pending-exists',
    });
    expect(await store.versions.pending('token-2')).toBe(first);
  });

  it('fail testSecret when the pending version is not a usable key set, so it never becomes current', async () => {
    const store = versionsOf(JSON.stringify(await createKeySet(CREATED)));
    await store.versions.putPending('token-3', '{"keys":[]}');
    await expect(rotationStep(store.versions, store.publicKeys, 'testSecret', 'token-3', clock)).rejects.toThrow(
      'Key set is invalid',
    );
    expect((await store.versions.current()).versionId).toBe('v0');
  });

  it('fail createSecret loudly when the current key set does not parse, without echoing it or writing anything', async () => {
    const set = await createKeySet(CREATED);
    const broken = JSON.stringify({ keys: set.keys.map((key) => ({ ...key, status: 'next' })) });
    const store = versionsOf(broken);
    const error = await rotationStep(store.versions, store.publicKeys, 'createSecret', 'token-4', clock).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'Refusing to rotate: the current key set does not parse (Key set is invalid: exactly one key must be active). Restore a valid key set; a new one would invalidate every live token.',
    );
    for (const key of set.keys) expect((error as Error).message).not.toContain(key.d);
    // The parse failure is kept as the cause, for the log.
    expect((error as Error).cause).toEqual(new Error('Key set is invalid: exactly one key must be active'));
    expect(await store.versions.pending('token-4')).toBeUndefined();
    expect(store.writes).toEqual([]);
  });

  it('keep the current signer when a second rotation comes before the next key has been published for 3 hours', async () => {
    const store = versionsOf(JSON.stringify(await createKeySet(CREATED)));
    await rotate(store, 'token-5');
    const afterFirst = await store.currentSet();
    const soon = { ...clock, nowSeconds: clock.nowSeconds + 600 };
    const outcomes = await rotate(store, 'token-6', soon);
    expect(outcomes[0]).toEqual({
      outcome: 'pending-created',
      promoted: false,
      reason: expect.stringContaining('published for 600 s'),
    });
    // Still a valid rotation that Secrets Manager completes, with the same signer and keys.
    expect((await store.versions.current()).versionId).toBe('token-6');
    expect(activeKey(await store.currentSet()).kid).toBe(activeKey(afterFirst).kid);
    expect(kids(await store.currentSet())).toEqual(kids(afterFirst));
  });

  it('fail testSecret and finishSecret when the rotation has no pending set, changing nothing', async () => {
    const store = versionsOf(JSON.stringify(await createKeySet(CREATED)));
    for (const step of ['testSecret', 'finishSecret']) {
      await expect(rotationStep(store.versions, store.publicKeys, step, 'token-8', clock)).rejects.toThrow(
        'No pending key set for this rotation',
      );
    }
    expect(store.writes).toEqual([]);
    expect((await store.versions.current()).versionId).toBe('v0');
  });

  it('publish the current set again when finishSecret is retried after the set became current', async () => {
    const store = versionsOf(JSON.stringify(await createKeySet(CREATED)));
    await rotate(store, 'token-9');
    store.writes.length = 0;
    expect(await rotationStep(store.versions, store.publicKeys, 'finishSecret', 'token-9', clock)).toEqual({
      outcome: 'already-current',
    });
    expect(store.writes).toEqual(['public.publish']);
    expect(store.publishedKids().sort()).toEqual(kids(await store.currentSet()));
  });

  it('refuse an unknown step instead of doing nothing', async () => {
    const store = versionsOf(JSON.stringify(await createKeySet(CREATED)));
    await expect(rotationStep(store.versions, store.publicKeys, 'deleteSecret', 'token-7', clock)).rejects.toThrow(
      'Unknown rotation step: deleteSecret',
    );
    // A long step name is cut short in the message.
    await expect(rotationStep(store.versions, store.publicKeys, 'x'.repeat(40), 'token-7', clock)).rejects.toThrow(
      new Error(`Unknown rotation step: ${'x'.repeat(32)}`),
    );
    expect(store.writes).toEqual([]);
  });
});

describe('key status', () => {
  it('lists each key with its times, whether it holds private members and whether the JWKS has it, no key material', async () => {
    const set = await createKeySet(CREATED);
    const store = versionsOf(JSON.stringify(set));
    await rotate(store, 'token-1');
    const rotated = await store.currentSet();
    const [next, active, retired] = (['next', 'active', 'retired'] as const).map((status) =>
      rotated.keys.find((key) => key.status === status),
    );
    // A key from before publish times were recorded, and a JWKS that lost the retired key.
    const { publishedAt: _, ...legacy } = active!;
    await store.versions.putCurrent(JSON.stringify({ keys: [next, legacy, retired] }));
    const jwks = JSON.stringify({ keys: [next, active].map((key) => ({ kid: key?.kid })) });
    const lines = await keyStatus(store.versions, jwks, { retainSeconds: 600 });
    expect(lines).toStrictEqual([
      { kid: next?.kid, status: 'next', publishedAt: clock.nowSeconds, private: true, published: true },
      { kid: active?.kid, status: 'active', private: true, published: true },
      {
        kid: retired?.kid,
        status: 'retired',
        publishedAt: CREATED,
        retiredAt: clock.nowSeconds,
        unpublishAt: clock.nowSeconds + 600,
        private: false,
        published: false,
      },
    ]);
    for (const key of set.keys) expect(JSON.stringify(lines)).not.toContain(key.d);
  });

  it('shows every key unpublished when the JWKS does not parse, and refuses a key set that does not', async () => {
    const store = versionsOf(JSON.stringify(await createKeySet(CREATED)));
    const lines = await keyStatus(store.versions, 'not json', { retainSeconds: 600 });
    expect(lines.map((line) => line.published)).toEqual([false, false]);
    await expect(keyStatus(versionsOf('{}').versions, '{"keys":[]}', { retainSeconds: 600 })).rejects.toThrow(
      /^Refusing to read the key set: the current key set does not parse/,
    );
  });
});
