import { createHmac } from 'node:crypto';
import type { SecretReader } from '#lib/aws/secrets.ts';
import type { UserIdentifier } from '#lib/users/identifier.ts';

/** Turns an identifier into the key its failed attempts are counted under. */
export type IdentifierHash = (identifier: UserIdentifier) => Promise<string>;

/**
 * HMAC-SHA256 of the normalized identifier under a server secret (its UTF-8 bytes): stable, so
 * attempts add up, but useless to whoever reads the table or the logs without the secret (a plain
 * hash of an email is reversed by hashing a list of emails). The kind is part of what is hashed,
 * so the username `a@b` (were one allowed) and the email `a@b` never share a count.
 */
export const createIdentifierHash =
  (read: SecretReader): IdentifierHash =>
  async (identifier) => {
    const value = identifier.kind === 'email' ? `email:${identifier.email}` : `username:${identifier.username}`;
    return createHmac('sha256', await read())
      .update(value)
      .digest('base64url');
  };
