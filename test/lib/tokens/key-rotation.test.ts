import { describe, expect, it } from 'vitest';
import { ensureKeySet, rotationStep, type SecretVersions } from '#lib/tokens/key-rotation.ts';
import { activeKey, createKeySet, parseKeySet } from '#lib/tokens/key-set.ts';

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
  return { versions, currentSet: async () => parseKeySet((await versions.current()).value) };
};

const clock = { nowSeconds: 1_800_000_000, retainSeconds: 4 * 3600 };
const rotate = async (versions: SecretVersions, token: string) => {
  for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await rotationStep(versions, step, token, clock);
  }
};

describe('key set setup', () => {
  it('replaces the random string CloudFormation put in the secret with a key set', async () => {
    const { versions, currentSet } = versionsOf('x7Gq2randomPasswordFromCloudFormation');
    expect(await ensureKeySet(versions)).toBe('created');
    expect((await currentSet()).keys.map((key) => key.status)).toEqual(['active', 'next']);
  });

  it('keeps a key set that is already there (a redeploy must not cut off live tokens)', async () => {
    const existing = JSON.stringify(await createKeySet());
    const { versions } = versionsOf(existing);
    expect(await ensureKeySet(versions)).toBe('kept');
    expect((await versions.current()).value).toBe(existing);
  });
});

describe('key set rotation steps', () => {
  it('promote the next key to active and make the rotated set current', async () => {
    const set = await createKeySet();
    const { versions, currentSet } = versionsOf(JSON.stringify(set));
    await rotate(versions, 'token-1');
    const rotated = await currentSet();
    expect(activeKey(rotated).kid).toBe(set.keys.find((key) => key.status === 'next')?.kid);
    expect(rotated.keys.find((key) => key.kid === activeKey(set).kid)?.status).toBe('retired');
    expect((await versions.current()).versionId).toBe('token-1');
  });

  it('create the pending set only once when Secrets Manager retries createSecret', async () => {
    const { versions } = versionsOf(JSON.stringify(await createKeySet()));
    await rotationStep(versions, 'createSecret', 'token-2', clock);
    const first = await versions.pending('token-2');
    await rotationStep(versions, 'createSecret', 'token-2', clock);
    expect(await versions.pending('token-2')).toBe(first);
  });

  it('fail testSecret when the pending version is not a usable key set, so it never becomes current', async () => {
    const { versions } = versionsOf(JSON.stringify(await createKeySet()));
    await versions.putPending('token-3', '{"keys":[]}');
    await expect(rotationStep(versions, 'testSecret', 'token-3', clock)).rejects.toThrow('Key set is invalid');
    expect((await versions.current()).versionId).toBe('v0');
  });
});
