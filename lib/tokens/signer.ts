import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type Clock, systemClock } from '#lib/clock.ts';
import { SIGNING_ALGORITHM } from './key-set.ts';
import type { SigningKeyProvider } from './signing-key-provider.ts';

/** RFC 9068's media type for JWT access tokens, in the `typ` header. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Access tokens: the issuer and audience they name, and how long they live. */
export interface TokenPolicy {
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
  /** A signed access token for the user `subject` in the session `sessionId` (the `sid` claim). */
  sign(subject: string, sessionId: string): Promise<string>;
  /** Seconds a token lives from its signing: the `expiresIn` clients are told. */
  readonly ttlSeconds: number;
}

/**
 * Signs access tokens with the key set's active RSA key (RS256), behind this one module.
 * Header: alg, typ at+jwt, kid. Claims: sub, sid, iss, aud, iat, nbf, exp, jti.
 */
export const createTokenSigner = (
  keys: SigningKeyProvider,
  { issuer, audience, ttlSeconds }: TokenPolicy,
  clock: Clock = systemClock,
): TokenSigner => ({
  ttlSeconds,
  async ready() {
    await keys();
  },
  async sign(subject, sessionId) {
    const signing = await keys();
    const now = Math.floor(clock().getTime() / 1000);
    return new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: signing.kid })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(signing.key);
  },
});
