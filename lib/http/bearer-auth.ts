import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { AuthServiceError, UnauthorizedError } from '#lib/errors.ts';
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

/**
 * Middy middleware for routes that need a signed-in caller: requires `Authorization: Bearer
 * <token>`, verifies it, and puts the claims on `context.auth`. Anything else is a 401 in the
 * envelope with an RFC 6750 `WWW-Authenticate` header. Register after http-header-normalizer
 * (it reads the lowercased header) and before the error envelope.
 */
export const httpBearerAuth = ({
  verify,
}: {
  verify: TokenVerifier;
}): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthenticatedContext> => ({
  before: async (request) => {
    const header = request.event.headers?.authorization ?? '';
    const [scheme, token, ...rest] = header.trim().split(/\s+/);
    if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length > 0) {
      throw new UnauthorizedError('A bearer token is required', `Bearer realm="${REALM}"`);
    }
    try {
      request.context.auth = await verify(token);
    } catch (error) {
      // Our own failure to load the keys is a 5xx, not the caller's fault.
      if (error instanceof AuthServiceError && error.statusCode >= 500) throw error;
      throw invalidTokenError({ cause: error });
    }
  },
});
