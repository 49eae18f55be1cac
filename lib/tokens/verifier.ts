import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { JWTClaimValidationFailed } from 'jose/errors';
import { type Clock, systemClock } from '#lib/clock.ts';
import { SIGNING_ALGORITHM } from './key-set.ts';
import { ACCESS_TOKEN_TYPE } from './signer.ts';

/** The verified claims of a Movie Knight access token. */
export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  jti: string;
  /** The session the token belongs to; our own endpoints refuse it once the session has ended. */
  sid: string;
}

export type TokenVerifier = (token: string) => Promise<AccessTokenClaims>;

export interface TokenVerifierOptions {
  /**
   * Where the public keys come from: inside our stack, the key set itself (see SigningKeys);
   * elsewhere, `remoteJwks(url)` on the published JWKS.
   */
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  clock?: Clock;
}

/** The published JWKS, fetched and cached by jose (refetched for an unknown kid, at most every 30 s). */
export const remoteJwks = (jwksUri: string): JWTVerifyGetKey => createRemoteJWKSet(new URL(jwksUri));

/**
 * Verifies a Movie Knight access token: signature with an allowed algorithm (RS256 only, so no
 * `none` and no HMAC confusion), `typ` at+jwt, issuer, audience, `exp` and `nbf`, and the
 * presence of `sub`, `jti` and a string `sid`. Rejects with jose's errors, which carry a stable `code`.
 */
export const createTokenVerifier =
  ({ keys, issuer, audience, clock = systemClock }: TokenVerifierOptions): TokenVerifier =>
  async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer,
      audience,
      algorithms: [SIGNING_ALGORITHM],
      typ: ACCESS_TOKEN_TYPE,
      requiredClaims: ['sub', 'exp', 'iat', 'nbf', 'jti', 'sid'],
      currentDate: clock(),
    });
    if (typeof payload.sid !== 'string' || payload.sid === '') {
      throw new JWTClaimValidationFailed('"sid" claim must be a non-empty string', payload, 'sid', 'invalid');
    }
    return payload as AccessTokenClaims;
  };
