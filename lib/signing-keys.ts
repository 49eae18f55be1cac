import { createLocalJWKSet, importJWK, type JWTVerifyGetKey } from 'jose';
import { ServiceUnavailableError } from './errors.ts';
import { activeKey, type KeySet, parseKeySet, publicJwks, SIGNING_ALGORITHM } from './key-set.ts';
import { deriveFromSecret, type SecretReader } from './secrets.ts';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

/** What the service does with its key set, derived once per secret value. */
export interface SigningKeys {
  /** The active private key and its kid, for signing. */
  signing: { kid: string; key: PrivateKey };
  /** Every published key, for verifying inside the stack. */
  verifying: JWTVerifyGetKey;
  set: KeySet;
}

export type SigningKeysProvider = () => Promise<SigningKeys>;

/**
 * How long a container uses the key set it read before reading it again: after a rotation, no
 * container signs with the retired key for longer than this.
 */
export const KEY_SET_MAX_AGE_SECONDS = 300;

const derive = async (secret: string): Promise<SigningKeys> => {
  let set: KeySet;
  try {
    set = parseKeySet(secret);
  } catch (error) {
    // A secret that is not a key set yet (before the setup resource ran) is an outage, not a bug in the request.
    throw new ServiceUnavailableError({ cause: error });
  }
  const { kid, status, retiredAt, ...jwk } = activeKey(set);
  return {
    signing: { kid, key: await importJWK({ ...jwk, kid }, SIGNING_ALGORITHM) },
    verifying: createLocalJWKSet(publicJwks(set)),
    set,
  };
};

/**
 * The key set from its secret. It is read again when the cached copy is older than the secret's
 * max age, so after a rotation no container signs with a retired key for long.
 */
export const createSigningKeysProvider = (read: SecretReader): SigningKeysProvider => {
  const fromSecret = deriveFromSecret(read, derive);
  return async () => {
    try {
      return await fromSecret();
    } catch (error) {
      // deriveFromSecret caches the promise per secret value; a bad value is retried next time it changes.
      throw error instanceof ServiceUnavailableError ? error : new ServiceUnavailableError({ cause: error });
    }
  };
};

/** The key set's public keys as jose's key lookup, for verifying tokens inside the stack. */
export const verificationKeys =
  (keys: SigningKeysProvider): JWTVerifyGetKey =>
  async (header, token) =>
    (await keys()).verifying(header, token);
