import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { createKeySet, type KeySet, parseKeySet, rotateKeySet } from './key-set.ts';

/** The versions of one secret that rotation works with (Secrets Manager's staging labels). */
export interface SecretVersions {
  current(): Promise<{ versionId: string; value: string }>;
  pending(token: string): Promise<string | undefined>;
  putPending(token: string, value: string): Promise<void>;
  putCurrent(value: string): Promise<void>;
  promote(token: string, fromVersionId: string): Promise<void>;
}

/** Secrets Manager's rotation steps, in the order it calls them. */
export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

const parseOrNull = (value: string): KeySet | null => {
  try {
    return parseKeySet(value);
  } catch {
    return null;
  }
};

/**
 * The stack's setup: the secret starts with a random string from CloudFormation, replaced here by
 * a first key set; a secret that already holds one is kept (an update, a redeploy).
 */
export const ensureKeySet = async (versions: SecretVersions): Promise<'created' | 'kept'> => {
  const { value } = await versions.current();
  if (parseOrNull(value)) return 'kept';
  await versions.putCurrent(JSON.stringify(await createKeySet()));
  return 'created';
};

/**
 * One step of a Secrets Manager rotation. createSecret stores the rotated set as AWSPENDING under
 * the rotation's token (once); testSecret checks it parses with one active key; finishSecret makes
 * it AWSCURRENT. setSecret has nothing to do: no other system holds the keys.
 */
export const rotationStep = async (
  versions: SecretVersions,
  step: RotationStep,
  token: string,
  { nowSeconds, retainSeconds }: { nowSeconds: number; retainSeconds: number },
): Promise<void> => {
  switch (step) {
    case 'createSecret': {
      if ((await versions.pending(token)) !== undefined) return;
      const current = parseOrNull((await versions.current()).value) ?? (await createKeySet());
      await versions.putPending(token, JSON.stringify(await rotateKeySet(current, nowSeconds, retainSeconds)));
      return;
    }
    case 'setSecret':
      return;
    case 'testSecret': {
      const pending = await versions.pending(token);
      if (pending === undefined) throw new Error('No pending key set for this rotation');
      parseKeySet(pending);
      return;
    }
    case 'finishSecret': {
      const { versionId } = await versions.current();
      if (versionId !== token) await versions.promote(token, versionId);
      return;
    }
  }
};

/** The SecretVersions of one secret in Secrets Manager. */
export const secretsManagerVersions = (client: SecretsManagerClient, secretId: string): SecretVersions => ({
  async current() {
    const { VersionId, SecretString } = await client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
    );
    return { versionId: VersionId ?? '', value: SecretString ?? '' };
  },
  async pending(token) {
    try {
      const { SecretString } = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }),
      );
      return SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  },
  async putPending(token, value) {
    await client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: ['AWSPENDING'],
      }),
    );
  },
  async putCurrent(value) {
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  },
  async promote(token, fromVersionId) {
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: fromVersionId,
      }),
    );
  },
});

/** Secrets Manager's own guard: only rotate a secret with rotation on and this token pending. */
export const assertRotatable = async (
  client: SecretsManagerClient,
  secretId: string,
  token: string,
): Promise<boolean> => {
  const { RotationEnabled, VersionIdsToStages = {} } = await client.send(
    new DescribeSecretCommand({ SecretId: secretId }),
  );
  if (!RotationEnabled) throw new Error('Rotation is not enabled for this secret');
  const stages = VersionIdsToStages[token];
  if (!stages) throw new Error('The rotation token is not a version of this secret');
  if (stages.includes('AWSCURRENT')) return false; // already done
  if (!stages.includes('AWSPENDING')) throw new Error('The rotation token is not pending');
  return true;
};
