import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { createSecretReader, deriveFromSecret, type SecretReaderOptions, type SecretSource } from '#lib/aws/secrets.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { parseKeySet, publicJwks } from './key-set.ts';
import { type PublicJwks, parsePublicJwks } from './public-jwks.ts';

/** The published keys: the JWKS to serve and jose's key lookup over it. */
export interface PublicKeys {
  jwks: PublicJwks;
  verifying: JWTVerifyGetKey;
}

/**
 * The public keys, from the public JWKS secret that the key setup and rotation write beside the
 * private key set. Verifiers (`/api/auth/me`, the well-known documents, bearer-auth users) read
 * only this, so a flaw in one of them cannot leak a private key: they hold none.
 */
export type PublicKeyProvider = () => Promise<PublicKeys>;

/**
 * How long a container uses the public JWKS it read before reading it again. A key is published
 * hours before it signs (JWKS_CACHE_MARGIN_SECONDS), so this only bounds how long a removed key
 * keeps verifying.
 */
export const PUBLIC_KEYS_MAX_AGE_SECONDS = 300;

/** A secret that holds no usable JWKS is an outage (503), not the caller's fault. */
const derive = async (secret: string): Promise<PublicKeys> => {
  try {
    const jwks = parsePublicJwks(secret);
    return { jwks, verifying: createLocalJWKSet(jwks) };
  } catch (error) {
    throw new ServiceUnavailableError({ cause: error });
  }
};

/**
 * The public keys from the public JWKS's secret, reread after PUBLIC_KEYS_MAX_AGE_SECONDS.
 * `options` (clock, logger, metrics) go to the secret reader.
 */
export const createPublicKeyProvider = (
  source: SecretSource,
  options: Omit<SecretReaderOptions, 'maxAgeSeconds'> = {},
): PublicKeyProvider =>
  deriveFromSecret(createSecretReader(source, { ...options, maxAgeSeconds: PUBLIC_KEYS_MAX_AGE_SECONDS }), derive);

/**
 * The public keys of the private key set, for a function that signs and also verifies (the
 * password change): the same keys as the published JWKS, without reading a second secret.
 */
export const createKeySetPublicKeyProvider = (
  source: SecretSource,
  options: Omit<SecretReaderOptions, 'maxAgeSeconds'> = {},
): PublicKeyProvider =>
  deriveFromSecret(
    createSecretReader(source, { ...options, maxAgeSeconds: PUBLIC_KEYS_MAX_AGE_SECONDS }),
    async (secret) => {
      try {
        const jwks = publicJwks(parseKeySet(secret));
        return { jwks, verifying: createLocalJWKSet(jwks) };
      } catch (error) {
        throw new ServiceUnavailableError({ cause: error });
      }
    },
  );

/** The public keys as jose's key lookup, for verifying tokens inside the stack. */
export const verificationKeys =
  (keys: PublicKeyProvider): JWTVerifyGetKey =>
  async (header, token) =>
    (await keys()).verifying(header, token);
