import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** bcrypt reads at most this many bytes of a password and silently ignores the rest. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** True when bcrypt would truncate the password, so it must never be accepted as a match. */
export const exceedsBcryptLimit = (password: string): boolean =>
  Buffer.byteLength(password) > BCRYPT_MAX_PASSWORD_BYTES;

/** Shape of a bcrypt hash; anything else in the table is treated as no usable hash. */
export const BCRYPT_HASH_PATTERN = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * The lowest cost a stored hash may have: the floor of the BCRYPT_COST setting (lib/settings.ts),
 * so every hash this service ever made, under any cost it was configured with, is accepted.
 */
export const LOWEST_ACCEPTED_COST = 10;

/** The stored costs a verifier at `cost` compares: from the floor (or `cost`, if lower) up to `cost`. */
export const acceptedCosts = (cost: number): { lowest: number; highest: number } => ({
  lowest: Math.min(LOWEST_ACCEPTED_COST, cost),
  highest: cost,
});

/**
 * The costs of the compares one check makes against a stored hash at `stored`, the first being the
 * stored hash itself and the others dummies, so that every check does the work of exactly one
 * compare at `cost` (bcrypt's work doubles with each step of cost):
 * 2^s + (2^s + 2^(s+1) + ... + 2^(cost-1)) = 2^cost. At `cost` itself that is one compare.
 */
export const paddedCosts = (stored: number, cost: number): number[] => [
  stored,
  ...Array.from({ length: cost - stored }, (_, step) => stored + step),
];

export interface PasswordVerifier {
  /**
   * Resolves true only when `hash` is present, of an accepted cost, and matches. Every call does
   * the work of one bcrypt compare at the configured cost, whatever the stored hash: a hash at a
   * lower accepted cost is compared at its own cost and the difference made up with compares
   * against dummy hashes (`paddedCosts`); a missing hash, one outside the accepted costs or a
   * password bcrypt would truncate gets one compare against the dummy at the configured cost. So
   * the time taken tells neither a missing user from a wrong password nor an old hash from a new one.
   */
  verify(password: string, hash: string | undefined): Promise<boolean>;
  /**
   * False for a hash whose cost is outside `acceptedCosts`: above the configured cost (it was
   * lowered), which cannot be checked in the time of one compare at the configured cost, or below
   * the floor (no hash this service made). Such a hash never matches: its user fails like a wrong
   * password until an operator sets a new one.
   */
  accepts(hash: string): boolean;
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

/** The verifier the login uses; its dummy hashes, one per accepted cost, are made once, here, per container. */
export const createPasswordVerifier = (cost: number): PasswordVerifier => {
  const { lowest, highest } = acceptedCosts(cost);
  const dummies = new Map<number, string>();
  for (let c = lowest; c <= highest; c += 1) dummies.set(c, createDummyHash(c));
  const dummy = (c: number): string => dummies.get(c) as string;
  const accepts = (hash: string): boolean => {
    const rounds = bcrypt.getRounds(hash);
    return rounds >= lowest && rounds <= highest;
  };
  return {
    async verify(password, hash) {
      const usable = hash !== undefined && !exceedsBcryptLimit(password) && accepts(hash);
      if (!usable) return bcrypt.compare(password, dummy(cost)).then(() => false);
      const [, ...padding] = paddedCosts(bcrypt.getRounds(hash), cost);
      // One after another, as a lone compare would run: bcrypt is CPU-bound on one thread.
      const matches = await bcrypt.compare(password, hash);
      for (const c of padding) await bcrypt.compare(password, dummy(c));
      return matches;
    },
    accepts,
    needsRehash: (hash) => bcrypt.getRounds(hash) < cost,
    hash: (password) => hashPassword(password, cost),
  };
};

/** Hashes a password at `cost`; callers validate its length first (see `exceedsBcryptLimit`). */
export const hashPassword = (password: string, cost: number): Promise<string> => bcrypt.hash(password, cost);
