import { base64url, calculateJwkThumbprint } from 'jose';
import { deriveFromSecret, type SecretReader } from './secrets.ts';

/** A symmetric key for HS256 and the `kid` that names it in token headers. */
export interface SigningKey {
  kid: string;
  key: Uint8Array;
}

export type SigningKeyProvider = () => Promise<SigningKey>;

/**
 * Turns a secret string into a key. The `kid` is the key's RFC 7638 thumbprint, so it changes
 * exactly when the key does and reveals nothing about it.
 */
export const toSigningKey = async (secret: string): Promise<SigningKey> => {
  const key = new TextEncoder().encode(secret);
  const kid = await calculateJwkThumbprint({ kty: 'oct', k: base64url.encode(key) });
  return { kid, key };
};

/** The signing key from its secret, derived again only when the secret changes. */
export const createSigningKeyProvider = (read: SecretReader): SigningKeyProvider =>
  deriveFromSecret(read, toSigningKey);
