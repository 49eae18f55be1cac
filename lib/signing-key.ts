import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { base64url, calculateJwkThumbprint } from 'jose';
import { BOUNDED_CLIENT_CONFIG } from './aws-sdk-config.ts';
import type { SigningKeySource } from './config.ts';
import { ServiceUnavailableError } from './errors.ts';

/** A symmetric key for HS256 and the `kid` that names it in token headers. */
export interface SigningKey {
  kid: string;
  key: Uint8Array;
}

export type SigningKeyProvider = () => Promise<SigningKey>;

/** How long a container trusts the secret it fetched before reading it again (rotation). */
export const SECRET_MAX_AGE_SECONDS = 3600;

/**
 * Turns a secret string into a key. The `kid` is the key's RFC 7638 thumbprint, so it changes
 * exactly when the key does and reveals nothing about it.
 */
export const toSigningKey = async (secret: string): Promise<SigningKey> => {
  const key = new TextEncoder().encode(secret);
  const kid = await calculateJwkThumbprint({ kty: 'oct', k: base64url.encode(key) });
  return { kid, key };
};

/**
 * The signing key from its configured source. A Secrets Manager secret is read through
 * Powertools Parameters, which caches it per container and does not cache a failed read, so the
 * next request tries again; a failure is a 503.
 */
export const createSigningKeyProvider = (source: SigningKeySource): SigningKeyProvider => {
  if ('value' in source) {
    const key = toSigningKey(source.value);
    return () => key;
  }
  const secrets = new SecretsProvider({ clientConfig: BOUNDED_CLIENT_CONFIG });
  let cached: { secret: string; key: Promise<SigningKey> } | undefined;
  return async () => {
    let secret: unknown;
    try {
      secret = await secrets.get(source.secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw new ServiceUnavailableError({ cause: error });
    }
    if (typeof secret !== 'string' || secret === '') {
      throw new ServiceUnavailableError({ cause: new Error('Signing key secret is empty or binary') });
    }
    if (cached?.secret !== secret) cached = { secret, key: toSigningKey(secret) };
    return cached.key;
  };
};
