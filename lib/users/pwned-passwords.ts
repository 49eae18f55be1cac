import { createHash } from 'node:crypto';
import { pwnedPasswordRange } from 'hibp';

/** How often a password appears in the breach corpus; 0 when it does not, or when nobody could say. */
export interface PwnedPasswords {
  timesSeen(password: string): Promise<number>;
}

/**
 * How long a password change waits for the breach corpus before it goes on without it: the API
 * answers in tens of milliseconds, and the function's own deadline is 10 s.
 */
export const PWNED_PASSWORDS_TIMEOUT_MS = 2000;

export interface PwnedPasswordsOptions {
  /** The Pwned Passwords API; a local stand-in in tests. */
  baseUrl: string;
  /** Past this the check is skipped (fails open): a password change never waits on a third party. */
  timeoutMs: number;
  /** Told of each check that could not be made, so that failing open is seen (a metric). */
  onUnavailable: (details: { reason: string }) => void;
}

/**
 * Have I Been Pwned's range API, with k-anonymity: only the first 5 hex digits of the password's
 * SHA-1 leave the function, and with `Add-Padding` every answer is padded to hundreds of entries
 * (count 0), so its size does not tell which prefix was asked either. Fails open: a timeout, an
 * error status or a malformed answer counts as "not seen", and is reported.
 */
export const createPwnedPasswords = ({ baseUrl, timeoutMs, onUnavailable }: PwnedPasswordsOptions): PwnedPasswords => ({
  async timesSeen(password) {
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    try {
      const suffixes = await pwnedPasswordRange(digest.slice(0, 5), {
        baseUrl,
        timeoutMs,
        addPadding: true,
        userAgent: 'movie-knight-auth',
      });
      // Padding entries have a count of 0: they are never a match.
      return suffixes[digest.slice(5)] ?? 0;
    } catch (error) {
      onUnavailable({ reason: error instanceof Error ? error.name : 'unknown' });
      return 0;
    }
  },
});
