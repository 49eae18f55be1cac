import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  activeKey,
  createKeySet,
  type KeySet,
  parseKeySet,
  pruneKeySet,
  publicJwks,
  type RetentionTimes,
  type RotationTimes,
  revokeKeys,
  rotateKeySet,
} from './key-set.ts';

/** The versions of one secret that rotation works with (Secrets Manager's staging labels). */
export interface SecretVersions {
  current(): Promise<{ versionId: string; value: string }>;
  pending(token: string): Promise<string | undefined>;
  putPending(token: string, value: string): Promise<void>;
  putCurrent(value: string): Promise<void>;
  promote(token: string, fromVersionId: string): Promise<void>;
  /** True while a rotation has a pending version (between its createSecret and finishSecret). */
  rotationPending?(): Promise<boolean>;
}

/** Where the public JWKS is written: a second secret that verifiers read instead of the private set. */
export interface PublicKeysStore {
  publish(jwks: string): Promise<void>;
}

/** Secrets Manager's rotation steps, in the order it calls them. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What a rotation step did, for the log. */
export type RotationStepResult =
  | { outcome: 'pending-created'; promoted: boolean; reason?: string }
  | { outcome: 'pending-exists' | 'nothing-to-set' | 'tested' | 'promoted' | 'already-current' };

const parseOrNull = (value: string): KeySet | null => {
  try {
    return parseKeySet(value);
    // Stryker disable next-line BlockStatement: equivalent, an empty catch returns undefined, which ensureKeySet's ?? takes as null
  } catch {
    return null;
  }
};

const publish = (publicKeys: PublicKeysStore, set: KeySet, times: RetentionTimes) =>
  publicKeys.publish(JSON.stringify(publicJwks(set, times)));

/**
 * The stack's setup: on Create, the secret holds a random string from CloudFormation, replaced
 * here by a first key set; a secret that already holds one is kept (an update, a redeploy). On
 * Update the secret must already hold a set: one that does not parse fails the deploy loudly
 * rather than be replaced by keys no verifier has seen (every live token would stop verifying).
 * Either way the public JWKS is written from it (first, so no key is ever current before it is
 * published), without the retired keys past `retainSeconds`, which also fills the public secret
 * of a stack deployed before there was one.
 */
export const ensureKeySet = async (
  versions: SecretVersions,
  publicKeys: PublicKeysStore,
  {
    request,
    nowSeconds = Math.floor(Date.now() / 1000),
    retainSeconds,
  }: { request: 'Create' | 'Update'; nowSeconds?: number; retainSeconds: number },
): Promise<'created' | 'kept'> => {
  const { value } = await versions.current();
  const existing = request === 'Update' ? parseCurrent(value, 'update the key setup') : parseOrNull(value);
  const set = existing ?? (await createKeySet(nowSeconds));
  await publish(publicKeys, set, { nowSeconds, retainSeconds });
  if (existing) return 'kept';
  await versions.putCurrent(JSON.stringify(set));
  return 'created';
};

const parseCurrent = (value: string, refusing = 'rotate'): KeySet => {
  try {
    return parseKeySet(value);
  } catch (error) {
    // parseKeySet's messages never hold key material; neither does this one.
    throw new Error(
      `Refusing to ${refusing}: the current key set does not parse (${(error as Error).message}). Restore a valid key set; a new one would invalidate every live token.`,
      { cause: error },
    );
  }
};

/**
 * One step of a Secrets Manager rotation (see rotateKeySet for what a rotation does to the set).
 *
 * - createSecret stores the rotated set as AWSPENDING under the rotation's token (once), after
 *   writing its public JWKS. That JWKS is safe to publish before the set is current: it holds the
 *   current set's active and next keys too (the only keys that may sign until finishSecret) and
 *   drops only retired keys whose tokens have all expired. It fails when the current set does not
 *   parse, rather than making a set whose keys no verifier has seen.
 * - setSecret has nothing to do: no other system holds the keys.
 * - testSecret checks the pending set parses with one active key.
 * - finishSecret writes the pending set's JWKS again (a deploy may have rewritten it meanwhile),
 *   then makes the set AWSCURRENT. The public JWKS is therefore written before every change of
 *   signer, and signers only ever use keys published at least JWKS_CACHE_MARGIN_SECONDS earlier.
 *
 * An unknown step is an error.
 */
export const rotationStep = async (
  versions: SecretVersions,
  publicKeys: PublicKeysStore,
  step: string,
  token: string,
  times: RotationTimes,
): Promise<RotationStepResult> => {
  switch (step as RotationStep) {
    case 'createSecret': {
      if ((await versions.pending(token)) !== undefined) return { outcome: 'pending-exists' };
      const current = parseCurrent((await versions.current()).value);
      const { set, ...rotation } = await rotateKeySet(current, times);
      await publish(publicKeys, set, times);
      await versions.putPending(token, JSON.stringify(set));
      return { outcome: 'pending-created', ...rotation };
    }
    case 'setSecret':
      return { outcome: 'nothing-to-set' };
    case 'testSecret': {
      const pending = await versions.pending(token);
      if (pending === undefined) throw new Error('No pending key set for this rotation');
      parseKeySet(pending);
      return { outcome: 'tested' };
    }
    case 'finishSecret': {
      const current = await versions.current();
      if (current.versionId === token) {
        await publish(publicKeys, parseKeySet(current.value), times);
        return { outcome: 'already-current' };
      }
      const pending = await versions.pending(token);
      if (pending === undefined) throw new Error('No pending key set for this rotation');
      await publish(publicKeys, parseKeySet(pending), times);
      await versions.promote(token, current.versionId);
      return { outcome: 'promoted' };
    }
    default:
      throw new Error(`Unknown rotation step: ${step.slice(0, 32)}`);
  }
};

/** What the upkeep did, for the log. */
export type MaintenanceResult = { outcome: 'pruned' | 'unchanged' | 'rotation-pending'; kids: string[] };

/**
 * The scheduled upkeep (hourly, not waiting for the next rotation): retired keys past their
 * retention leave the private set and the JWKS, and retired keys lose any private members left.
 * The JWKS is written first (it only ever loses keys here), then the set. Skipped while a
 * rotation is pending, so the rotation's own set stays the one that becomes current; the next
 * run catches up.
 */
export const maintainKeySet = async (
  versions: SecretVersions,
  publicKeys: PublicKeysStore,
  times: RetentionTimes,
): Promise<MaintenanceResult> => {
  const current = parseCurrent((await versions.current()).value, 'prune the key set');
  if (await versions.rotationPending?.()) return { outcome: 'rotation-pending', kids: kidsOf(current) };
  const pruned = pruneKeySet(current, times);
  if (pruned === current) return { outcome: 'unchanged', kids: kidsOf(current) };
  await publish(publicKeys, pruned, times);
  await versions.putCurrent(JSON.stringify(pruned));
  return { outcome: 'pruned', kids: kidsOf(pruned) };
};

const kidsOf = (set: KeySet) => set.keys.map((key) => key.kid);

/** A key's state as `npm run keys -- status` prints it: never key material. */
export interface KeyStatusLine {
  kid: string;
  status: string;
  publishedAt?: number;
  retiredAt?: number;
  /** When a retired key leaves the JWKS. */
  unpublishAt?: number;
  /** Whether the stored key still holds private members (only the next and active keys should). */
  private: boolean;
  /** Whether the public JWKS lists it. */
  published: boolean;
}

/** The key set and the JWKS side by side, for the operator. */
export const keyStatus = async (
  versions: SecretVersions,
  publishedJwks: string,
  { retainSeconds }: Pick<RetentionTimes, 'retainSeconds'>,
): Promise<KeyStatusLine[]> => {
  const set = parseCurrent((await versions.current()).value, 'read the key set');
  let publishedKids: string[] = [];
  try {
    publishedKids = (JSON.parse(publishedJwks) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
  } catch {
    // An unreadable JWKS publishes nothing; status says so key by key.
  }
  return set.keys.map((key) => ({
    kid: key.kid,
    status: key.status,
    ...(key.publishedAt !== undefined && { publishedAt: key.publishedAt }),
    ...(key.retiredAt !== undefined && { retiredAt: key.retiredAt, unpublishAt: key.retiredAt + retainSeconds }),
    private: key.d !== undefined,
    published: publishedKids.includes(key.kid),
  }));
};

/**
 * The emergency revocation (see revokeKeys): the new set's JWKS is written first, without the
 * revoked kids and with the fresh key, then the private set. Refused while a rotation is pending:
 * its set, made from the old one, would bring the revoked keys back when it becomes current
 * (`aws secretsmanager cancel-rotate-secret`, then revoke again).
 */
export const revokeStoredKeys = async (
  versions: SecretVersions,
  publicKeys: PublicKeysStore,
  kids: string[],
  times: RetentionTimes,
): Promise<{ revoked: string[]; activeKid: string; previousActiveKid: string }> => {
  const current = parseCurrent((await versions.current()).value, 'revoke');
  if (await versions.rotationPending?.()) {
    throw new Error(
      'Refusing to revoke: a rotation is pending and would restore the revoked keys. Cancel it (aws secretsmanager cancel-rotate-secret) and revoke again.',
    );
  }
  const { set, revoked, activeKid } = await revokeKeys(current, kids, times);
  await publish(publicKeys, set, times);
  await versions.putCurrent(JSON.stringify(set));
  return { revoked, activeKid, previousActiveKid: activeKey(current).kid };
};

/** The SecretVersions of one secret in Secrets Manager. */
export const secretsManagerVersions = (client: SecretsManagerClient, secretId: string): SecretVersions => ({
  async current() {
    const { VersionId, SecretString } = await client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
    );
    // Stryker disable next-line StringLiteral: equivalent, any other text is no key set and no rotation token alike
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
  async rotationPending() {
    const { VersionIdsToStages = {} } = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return Object.values(VersionIdsToStages).some(
      (stages) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
    );
  },
});

/** The public JWKS as it is stored now, for `keys status`. */
export const readSecretValue = async (client: SecretsManagerClient, secretId: string): Promise<string> =>
  // Stryker disable next-line StringLiteral: equivalent, any other text that is no JWKS publishes nothing alike
  (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';

/**
 * Secrets Manager's own guard: true when this token is the pending version of a secret with
 * rotation on (the step should run), false when it is already current (a retry after the
 * rotation finished); throws for anything else.
 */
export const isPendingRotation = async (
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

/** The public JWKS secret in Secrets Manager: each publish is a new AWSCURRENT version. */
export const secretsManagerPublicKeys = (client: SecretsManagerClient, secretId: string): PublicKeysStore => ({
  async publish(jwks) {
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: jwks }));
  },
});
