import { importJWK } from 'jose';
import { createSecretReader, deriveFromSecret, type SecretReaderOptions, type SecretSource } from '#lib/aws/secrets.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { activeKey, parseKeySet, SIGNING_ALGORITHM } from './key-set.ts';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

/** The active private key and its kid: all a signer needs, derived once per secret value. */
export interface SigningKey {
  kid: string;
  key: PrivateKey;
}

/**
 * The private key that signs. Only the functions that sign tokens use this (and may read the
 * private key set); everything that verifies uses public-key-provider.ts.
 */
export type SigningKeyProvider = () => Promise<SigningKey>;

/**
 * How long a container uses the key set it read before reading it again: after a rotation, no
 * container signs with the retired key for longer than this (unless Secrets Manager cannot be
 * read, see SECRET_STALE_GRACE_SECONDS; the retired key stays published far longer).
 */
export const SIGNING_KEYS_MAX_AGE_SECONDS = 300;

/**
 * A secret that does not hold a usable key set (before the setup resource ran, or a bad manual
 * edit) is an outage, a 503, not a fault of the request; the failure is kept for that value only.
 */
const derive = async (secret: string): Promise<SigningKey> => {
  try {
    const { kid, status, retiredAt, publishedAt, ...jwk } = activeKey(parseKeySet(secret));
    return { kid, key: await importJWK({ ...jwk, kid }, SIGNING_ALGORITHM) };
  } catch (error) {
    throw new ServiceUnavailableError({ cause: error });
  }
};

/**
 * The active signing key from the private key set's secret, reread after
 * SIGNING_KEYS_MAX_AGE_SECONDS. `options` (clock, logger, metrics) go to the secret reader.
 */
export const createSigningKeyProvider = (
  source: SecretSource,
  options: Omit<SecretReaderOptions, 'maxAgeSeconds'> = {},
): SigningKeyProvider =>
  deriveFromSecret(createSecretReader(source, { ...options, maxAgeSeconds: SIGNING_KEYS_MAX_AGE_SECONDS }), derive);
