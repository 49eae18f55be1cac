import { createLocalJWKSet, importJWK, type JWTVerifyGetKey } from 'jose';
import { createSecretReader, deriveFromSecret, type SecretReaderOptions, type SecretSource } from '#lib/aws/secrets.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { activeKey, type KeySet, parseKeySet, publicJwks, SIGNING_ALGORITHM } from './key-set.ts';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

/** What the service does with its key set, derived once per secret value. */
export interface SigningKeys {
  /** The active private key and its kid, for signing. */
  signing: { kid: string; key: PrivateKey };
  /** Every published key, for verifying inside the stack. */
  verifying: JWTVerifyGetKey;
  set: KeySet;
}

export type KeyProvider = () => Promise<SigningKeys>;

/**
 * How long a container uses the key set it read before reading it again: after a rotation, no
 * container signs with the retired key for longer than this (unless Secrets Manager cannot be
 * read, see SECRET_STALE_GRACE_SECONDS; the retired key stays published far longer).
 */
export const KEY_SET_MAX_AGE_SECONDS = 300;

/**
 * A secret that does not hold a usable key set (before the setup resource ran, or a bad manual
 * edit) is an outage, a 503, not a fault of the request; the failure is kept for that value only.
 */
const derive = async (secret: string): Promise<SigningKeys> => {
  try {
    const set: KeySet = parseKeySet(secret);
    const { kid, status, retiredAt, ...jwk } = activeKey(set);
    return {
      signing: { kid, key: await importJWK({ ...jwk, kid }, SIGNING_ALGORITHM) },
      verifying: createLocalJWKSet(publicJwks(set)),
      set,
    };
  } catch (error) {
    throw new ServiceUnavailableError({ cause: error });
  }
};

/**
 * The key set from its secret. It is read again when the cached copy is older than
 * KEY_SET_MAX_AGE_SECONDS, so after a rotation no container signs with a retired key for long.
 * `options` (clock, logger, metrics) go to the secret reader.
 */
export const createKeyProvider = (
  source: SecretSource,
  options: Omit<SecretReaderOptions, 'maxAgeSeconds'> = {},
): KeyProvider =>
  deriveFromSecret(createSecretReader(source, { ...options, maxAgeSeconds: KEY_SET_MAX_AGE_SECONDS }), derive);

/** The key set's public keys as jose's key lookup, for verifying tokens inside the stack. */
export const verificationKeys =
  (keys: KeyProvider): JWTVerifyGetKey =>
  async (header, token) =>
    (await keys()).verifying(header, token);
