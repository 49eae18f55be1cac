import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type Clock, systemClock } from './clock.ts';
import type { SigningKeyProvider } from './signing-key.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface TokenSigner {
  /**
   * Resolves once the signing key is loaded, rejecting when it cannot be. The login awaits it
   * before any password check, so an unreadable key is a 503 for every caller alike and never
   * tells a right password from a wrong one.
   */
  ready(): Promise<void>;
  /** A signed access token for the user `subject`. */
  sign(subject: string): Promise<string>;
}

/**
 * Signs access tokens: HS256 for now, behind this one module so the algorithm and key
 * source can change without touching the login. Claims: sub, iss, aud, iat, exp, jti.
 */
export const createTokenSigner = (
  getKey: SigningKeyProvider,
  { issuer, audience, ttlSeconds }: TokenSettings,
  clock: Clock = systemClock,
): TokenSigner => ({
  async ready() {
    await getKey();
  },
  async sign(subject) {
    const { kid, key } = await getKey();
    const now = Math.floor(clock().getTime() / 1000);
    return new SignJWT()
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(key);
  },
});
