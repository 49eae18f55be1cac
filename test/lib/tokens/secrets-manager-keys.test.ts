import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  ensureKeySet,
  isPendingRotation,
  ROTATION_STEPS,
  readSecretValue,
  revokeStoredKeys,
  rotationStep,
  secretsManagerPublicKeys,
  secretsManagerVersions,
} from '#lib/tokens/key-rotation.ts';
import { activeKey, parseKeySet, publicJwks } from '#lib/tokens/key-set.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';
import { parsePublicJwks } from '#lib/tokens/public-jwks.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { testKeySet } from '#test/support/keys.ts';

const KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const PUBLIC_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:public-keys';

/**
 * The key setup, rotation and revocation through the real SDK, against a loopback Secrets Manager
 * with versions and staging labels (test/support/fake-secrets-manager.ts): what the rotation
 * function and `npm run keys` do to the two secrets. Each test starts its own.
 */
const secretsManager = async (signingKeys: string) => {
  const secrets = await startFakeSecretsManager({ [KEYS_ARN]: signingKeys, [PUBLIC_ARN]: 'p9XrandomString' });
  // One attempt: a failure the fake is told to make is not retried away.
  const client = new SecretsManagerClient({
    endpoint: secrets.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    secrets,
    client,
    versions: secretsManagerVersions(client, KEYS_ARN),
    publicKeys: secretsManagerPublicKeys(client, PUBLIC_ARN),
    [Symbol.asyncDispose]: async () => {
      client.destroy();
      secrets.close();
    },
  };
};

const times = (nowSeconds: number) => ({ nowSeconds, retainSeconds: 4 * 3600 });

describe('the signing keys in Secrets Manager', () => {
  it("make the first key set at setup, and write its JWKS to the public secret, read back by 'keys status'", async () => {
    await using sm = await secretsManager('q8ZrandomStringFromCloudFormation');
    const start = Math.floor(Date.now() / 1000);
    expect(await ensureKeySet(sm.versions, sm.publicKeys, { request: 'Create', retainSeconds: 3600 })).toBe('created');
    const set = parseKeySet(sm.secrets.current(KEYS_ARN)!);
    for (const key of set.keys) expect(key.publishedAt).toBeGreaterThanOrEqual(start);
    for (const key of set.keys) expect(key.publishedAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(parsePublicJwks(sm.secrets.current(PUBLIC_ARN)!)).toEqual(publicJwks(set));
    expect(await readSecretValue(sm.client, PUBLIC_ARN)).toBe(sm.secrets.current(PUBLIC_ARN));
    expect(await sm.versions.current()).toEqual({
      versionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      value: sm.secrets.current(KEYS_ARN),
    });
  });

  it("rotate through Secrets Manager's labels: pending while it runs, then the rotated set is current", async () => {
    const set = await testKeySet();
    await using sm = await secretsManager(JSON.stringify(set));
    const { versionId: before } = await sm.versions.current();
    const token = sm.secrets.startRotation(KEYS_ARN);
    expect(await isPendingRotation(sm.client, KEYS_ARN, token)).toBe(true);
    expect(await sm.versions.rotationPending?.()).toBe(true);
    // While it is pending, a revocation would be undone by it: refused, nothing written.
    await expect(revokeStoredKeys(sm.versions, sm.publicKeys, [activeKey(set).kid], times(0))).rejects.toThrow(
      'Refusing to revoke: a rotation is pending',
    );
    expect(sm.secrets.current(KEYS_ARN)).toBe(JSON.stringify(set));

    const now = Math.max(...set.keys.map((key) => key.publishedAt ?? 0)) + JWKS_CACHE_MARGIN_SECONDS;
    const outcomes = [];
    for (const step of ROTATION_STEPS)
      outcomes.push(await rotationStep(sm.versions, sm.publicKeys, step, token, times(now)));
    expect(outcomes.map((result) => result.outcome)).toEqual([
      'pending-created',
      'nothing-to-set',
      'tested',
      'promoted',
    ]);

    const rotated = parseKeySet(sm.secrets.current(KEYS_ARN)!);
    expect(activeKey(rotated).kid).toBe(set.keys.find((key) => key.status === 'next')?.kid);
    expect(await sm.versions.current()).toEqual({ versionId: token, value: sm.secrets.current(KEYS_ARN) });
    expect(parsePublicJwks(sm.secrets.current(PUBLIC_ARN)!)).toEqual(publicJwks(rotated, times(now)));
    // Done: the token is current, no longer pending; the version before it is neither.
    expect(await sm.versions.pending(token)).toBeUndefined();
    expect(await isPendingRotation(sm.client, KEYS_ARN, token)).toBe(false);
    expect(await sm.versions.rotationPending?.()).toBe(false);
    await expect(isPendingRotation(sm.client, KEYS_ARN, before)).rejects.toThrow('The rotation token is not pending');
    // Secrets Manager retrying finishSecret finds it done.
    expect(await rotationStep(sm.versions, sm.publicKeys, 'finishSecret', token, times(now))).toEqual({
      outcome: 'already-current',
    });
  });

  it('store a pending set under its token as AWSPENDING only, leaving the current set as it is', async () => {
    const set = await testKeySet();
    await using sm = await secretsManager(JSON.stringify(set));
    expect(await sm.versions.rotationPending?.()).toBe(false);
    await sm.versions.putPending('token-1', '{"keys":"pending"}');
    expect(await sm.versions.pending('token-1')).toBe('{"keys":"pending"}');
    expect(await sm.versions.pending('token-2')).toBeUndefined();
    expect(sm.secrets.current(KEYS_ARN)).toBe(JSON.stringify(set));
    expect(await sm.versions.rotationPending?.()).toBe(true);
  });

  it('see no rotation pending on a version that holds both labels, as a finished rotation can leave it', async () => {
    await using sm = await secretsManager(JSON.stringify(await testKeySet()));
    const { versionId } = await sm.versions.current();
    await sm.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: KEYS_ARN,
        VersionStage: 'AWSPENDING',
        MoveToVersionId: versionId,
      }),
    );
    expect(await sm.versions.rotationPending?.()).toBe(false);
  });

  it('fail a rotation step when the pending version cannot be read, instead of taking it for none', async () => {
    await using sm = await secretsManager(JSON.stringify(await testKeySet()));
    const token = sm.secrets.startRotation(KEYS_ARN);
    sm.secrets.state.failFirst = sm.secrets.state.calls + 1;
    await expect(sm.versions.pending(token)).rejects.toThrow('fake failure');
    // With no value yet, the version is not found: that is "no pending set".
    expect(await sm.versions.pending(token)).toBeUndefined();
  });

  it('refuse a rotation step for a secret without rotation, or a token that is no version of it', async () => {
    await using sm = await secretsManager(JSON.stringify(await testKeySet()));
    await expect(isPendingRotation(sm.client, KEYS_ARN, 'no-such-version')).rejects.toThrow(
      'The rotation token is not a version of this secret',
    );
    const token = sm.secrets.startRotation(KEYS_ARN);
    sm.secrets.disableRotation(KEYS_ARN);
    await expect(isPendingRotation(sm.client, KEYS_ARN, token)).rejects.toThrow(
      'Rotation is not enabled for this secret',
    );
  });
});
