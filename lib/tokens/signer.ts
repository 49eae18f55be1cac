import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type Clock, systemClock } from '#lib/clock.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { SIGNING_ALGORITHM } from './key-set.ts';
import type { SigningKeyProvider } from './signing-key-provider.ts';

/** RFC 9068's media type for JWT access tokens, in the `typ` header. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Access tokens: the issuer, audience and clients they name, and how long they live. */
export interface TokenPolicy {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /**
   * The registered client ids (CLIENT_IDS), the default first: what `client_id` may say. Unset,
   * the one default client (DEFAULTS.clientIds).
   */
  clientIds?: readonly string[];
}

/** The registered clients of a policy, the default first. */
export const registeredClientIds = (policy: Pick<TokenPolicy, 'clientIds'>): readonly [string, ...string[]] => {
  const [first, ...rest] = policy.clientIds?.length ? policy.clientIds : DEFAULTS.clientIds;
  return [first as string, ...rest];
};

export interface TokenSigner {
  /**
   * Resolves once the signing key is loaded, rejecting when it cannot be. The login awaits it
   * before any password check, so an unreadable key is a 503 for every caller alike and never
   * tells a right password from a wrong one.
   */
  ready(): Promise<void>;
  /**
   * A signed access token for the user `subject` in the session `sessionId` (the `sid` claim),
   * issued to the client `clientId` (the `client_id` claim; the default client when unset).
   */
  sign(subject: string, sessionId: string, clientId?: string): Promise<string>;
  /** Seconds a token lives from its signing: the `expiresIn` clients are told. */
  readonly ttlSeconds: number;
  /** The client a token is issued to when no other is named: the first registered one. */
  readonly defaultClientId: string;
}

/**
 * Signs access tokens with the key set's active RSA key (RS256), behind this one module.
 * Header: alg, typ at+jwt, kid. Claims: sub, sid, client_id, iss, aud, iat, nbf, exp, jti (RFC 9068
 * section 2.2 requires all but sid and nbf).
 */
export const createTokenSigner = (
  keys: SigningKeyProvider,
  policy: TokenPolicy,
  clock: Clock = systemClock,
): TokenSigner => {
  const { issuer, audience, ttlSeconds } = policy;
  const [defaultClientId] = registeredClientIds(policy);
  return {
    ttlSeconds,
    defaultClientId,
    async ready() {
      await keys();
    },
    async sign(subject, sessionId, clientId = defaultClientId) {
      const signing = await keys();
      const now = Math.floor(clock().getTime() / 1000);
      return new SignJWT({ sid: sessionId, client_id: clientId })
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
  };
};
