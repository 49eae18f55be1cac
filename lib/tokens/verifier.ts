import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { JWTClaimValidationFailed } from 'jose/errors';
import * as v from 'valibot';
import { type Clock, systemClock } from '#lib/clock.ts';
import { SIGNING_ALGORITHM } from './key-set.ts';
import { ACCESS_TOKEN_TYPE, registeredClientIds, type TokenPolicy } from './signer.ts';

/**
 * How far a token's `iat` or `nbf` may be ahead of our clock, or its `exp` behind it: the skew
 * between the signer's clock and the verifier's.
 */
export const CLOCK_TOLERANCE_SECONDS = 60;

const text = v.pipe(v.string(), v.nonEmpty());

/**
 * The claims our tokens carry, typed. jose checks the registered time and audience claims; this
 * checks that what is meant to be a string is one, so a signed token with `sub: 123` is refused
 * here instead of failing further in (a DynamoDB key of the wrong type). A new claim is added
 * here to get the same treatment.
 */
const AccessTokenClaimsSchema = v.looseObject({
  sub: text,
  jti: text,
  /** The session the token belongs to; our own endpoints refuse it once the session has ended. */
  sid: text,
  /** The client the token was issued to (RFC 9068 section 2.2): one of the registered clients. */
  client_id: text,
  iat: v.number(),
  exp: v.number(),
});

/** The verified claims of a Movie Knight access token. */
export type AccessTokenClaims = JWTPayload & v.InferOutput<typeof AccessTokenClaimsSchema>;

export type TokenVerifier = (token: string) => Promise<AccessTokenClaims>;

export interface TokenVerifierOptions {
  /**
   * Where the public keys come from: inside our stack, the public JWKS (see public-key-provider.ts);
   * elsewhere, `remoteJwks(url)` on the published JWKS.
   */
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /** The configured token lifetime (TOKEN_TTL_SECONDS): no token older than this is accepted. */
  maxTokenAgeSeconds: number;
  /** The registered clients (CLIENT_IDS): a token issued to any other is refused. */
  clientIds: readonly string[];
  clock?: Clock;
}

/** The published JWKS, fetched and cached by jose (refetched for an unknown kid, at most every 30 s). */
export const remoteJwks = (jwksUri: string): JWTVerifyGetKey => createRemoteJWKSet(new URL(jwksUri));

const claimFailure = (payload: JWTPayload, claim: string, message: string) =>
  new JWTClaimValidationFailed(`"${claim}" claim ${message}`, payload, claim, 'check_failed');

/**
 * Verifies a Movie Knight access token: signature with an allowed algorithm (RS256 only, so no
 * `none` and no HMAC confusion), `typ` at+jwt, issuer, audience, `exp` and `nbf`; `iat` not in the
 * future and no older than the token lifetime (with CLOCK_TOLERANCE_SECONDS of skew), and
 * `exp - iat` no longer than it; string `sub`, `jti` and `sid`; a `client_id` of a registered client. Rejects with jose's errors,
 * which carry a stable `code` (a claim of the wrong type is ERR_JWT_CLAIM_VALIDATION_FAILED).
 */
export const createTokenVerifier =
  ({
    keys,
    issuer,
    audience,
    maxTokenAgeSeconds,
    clientIds,
    clock = systemClock,
  }: TokenVerifierOptions): TokenVerifier =>
  async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer,
      audience,
      algorithms: [SIGNING_ALGORITHM],
      typ: ACCESS_TOKEN_TYPE,
      requiredClaims: ['sub', 'exp', 'iat', 'nbf', 'jti', 'sid', 'client_id'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: maxTokenAgeSeconds,
      currentDate: clock(),
    });
    const result = v.safeParse(AccessTokenClaimsSchema, payload);
    if (!result.success) {
      // Stryker disable next-line StringLiteral: unreachable, jose hands an object, so every issue is at a claim's path
      const claim = v.getDotPath(result.issues[0]) ?? 'unspecified';
      throw claimFailure(payload, claim, 'has the wrong type');
    }
    const claims = result.output;
    // A token that claims to live longer than we ever sign one for did not come from our signer.
    if (claims.exp - claims.iat > maxTokenAgeSeconds) {
      throw claimFailure(payload, 'exp', 'is further after "iat" than the token lifetime');
    }
    if (!clientIds.includes(claims.client_id)) throw claimFailure(payload, 'client_id', 'is no registered client');
    return claims;
  };

/**
 * The verifier of our own functions: issuer, audience, lifetime and registered clients all from the
 * token policy (the TOKEN_* and CLIENT_IDS settings) our tokens are signed under.
 */
export const createPolicyTokenVerifier = (keys: JWTVerifyGetKey, policy: TokenPolicy, clock?: Clock): TokenVerifier =>
  createTokenVerifier({
    keys,
    issuer: policy.issuer,
    audience: policy.audience,
    maxTokenAgeSeconds: policy.ttlSeconds,
    clientIds: registeredClientIds(policy),
    clock,
  });
