import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** bcrypt reads at most this many bytes of a password and silently ignores the rest. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** True when bcrypt would truncate the password, so it must never be accepted as a match. */
export const exceedsBcryptLimit = (password: string): boolean =>
  Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_PASSWORD_BYTES;

/** Shape of a bcrypt hash; anything else in the table is treated as no usable hash. */
export const BCRYPT_HASH_PATTERN = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export interface PasswordVerifier {
  /**
   * Resolves true only when `hash` is present and matches. Every call does exactly one bcrypt
   * compare at the configured cost, whether or not there is a hash to compare with, so the
   * time taken does not tell a missing user from a wrong password.
   */
  verify(password: string, hash: string | undefined): Promise<boolean>;
  /** True when `hash` was made at a lower cost than the configured one. */
  needsRehash(hash: string): boolean;
  /** A new hash of `password` at the configured cost. */
  hash(password: string): Promise<string>;
}

/**
 * A well-formed bcrypt hash at `cost` that no password is known to match: a real salt and a
 * random digest. Comparing against it costs the same as against a stored hash, and making it
 * costs nothing, so it is ready at init without a hashing round.
 */
export const createDummyHash = (cost: number): string =>
  bcrypt.genSaltSync(cost) + bcrypt.encodeBase64([...randomBytes(23)], 23);

/** The verifier the login uses; the dummy hash is made once, here, per container. */
export const createPasswordVerifier = (cost: number): PasswordVerifier => {
  const dummyHash = createDummyHash(cost);
  return {
    async verify(password, hash) {
      const usable = hash !== undefined && !exceedsBcryptLimit(password);
      const matches = await bcrypt.compare(password, usable ? hash : dummyHash);
      return usable && matches;
    },
    needsRehash: (hash) => bcrypt.getRounds(hash) < cost,
    hash: (password) => hashPassword(password, cost),
  };
};

/** Hashes a password at `cost`; callers validate its length first (see `exceedsBcryptLimit`). */
export const hashPassword = (password: string, cost: number): Promise<string> => bcrypt.hash(password, cost);
