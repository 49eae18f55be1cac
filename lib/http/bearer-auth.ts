import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { AuthServiceError, ServiceUnavailableError, UnauthorizedError } from '#lib/errors.ts';
import type { AccessTokenClaims, TokenVerifier } from '#lib/tokens/verifier.ts';

/** The Lambda context, with the verified claims of the caller's token. */
export interface AuthenticatedContext extends Context {
  auth: AccessTokenClaims;
}

const REALM = 'movie-knight';

/**
 * The 401 for a token that was sent but does not authenticate anyone (bad, expired, or its user
 * or session is gone): one message for every reason; RFC 6750's error code says which kind.
 */
export const invalidTokenError = (options?: ErrorOptions): UnauthorizedError =>
  new UnauthorizedError(
    'The token is invalid or has expired',
    `Bearer realm="${REALM}", error="invalid_token"`,
    options,
  );

/** What the 401 of a route that needs a recent sign-in says, whatever the route. */
export const FRESH_SIGN_IN_REQUIRED_MESSAGE = 'A recent sign-in is needed: sign in again, then retry';

/**
 * The 401 for a genuine token of a live session that started too long ago for what it asks
 * (adding a passkey): RFC 9470's step-up challenge, with the longest age accepted.
 */
export const freshSignInRequiredError = (maxAgeSeconds: number): UnauthorizedError =>
  new UnauthorizedError(
    FRESH_SIGN_IN_REQUIRED_MESSAGE,
    `Bearer realm="${REALM}", error="insufficient_user_authentication", error_description="A recent sign-in is needed", max_age=${maxAgeSeconds}`,
  );

/**
 * jose's codes (`jose/errors`) that mean the token itself is bad: malformed, tampered, signed
 * with an algorithm or key we do not accept, expired, or with a claim that does not hold. Its
 * other codes (ERR_JWKS_TIMEOUT, ERR_JWKS_INVALID, ERR_JWK_INVALID, ERR_JOSE_GENERIC) are about
 * the keys, not the token.
 */
const INVALID_TOKEN_CODES = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JWE_INVALID',
  'ERR_JWE_DECRYPTION_FAILED',
]);

/** True when verification failed because of the token, not because the keys could not be had. */
const isInvalidToken = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && INVALID_TOKEN_CODES.has(code);
};

/**
 * Requires `Authorization: Bearer <token>` (the lowercased header, after http-header-normalizer),
 * verifies it and returns its claims; `accept` may refuse a genuine token (one of an ended
 * session). A missing or bad token is a 401 with an RFC 6750 `WWW-Authenticate` header. A failure
 * to get the keys (a JWKS fetch that times out, our own 5xx) is a 503 or that 5xx: answering 401
 * would make a client throw away a good token.
 */
export const authenticate = async (
  headers: APIGatewayProxyEvent['headers'] | null | undefined,
  verify: TokenVerifier,
  accept?: (claims: AccessTokenClaims) => Promise<boolean>,
): Promise<AccessTokenClaims> => {
  const header = headers?.authorization ?? '';
  const [scheme, token, ...rest] = header.trim().split(/\s+/);
  if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length > 0) {
    throw new UnauthorizedError('A bearer token is required', `Bearer realm="${REALM}"`);
  }
  let claims: AccessTokenClaims;
  try {
    claims = await verify(token);
  } catch (error) {
    if (isInvalidToken(error)) throw invalidTokenError({ cause: error });
    if (error instanceof AuthServiceError) throw error;
    throw new ServiceUnavailableError({ cause: error });
  }
  if (accept && !(await accept(claims))) throw invalidTokenError();
  return claims;
};

/**
 * Middy middleware for routes that need a signed-in caller: see `authenticate`; the claims go on
 * `context.auth`. Register after http-header-normalizer and before the error envelope.
 */
export const httpBearerAuth = ({
  verify,
  accept,
}: {
  verify: TokenVerifier;
  accept?: (claims: AccessTokenClaims) => Promise<boolean>;
}): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthenticatedContext> => ({
  before: async (request) => {
    request.context.auth = await authenticate(request.event.headers, verify, accept);
  },
});
