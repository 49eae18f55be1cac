import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { BadRequestError, InvalidRefreshTokenError } from '#lib/errors.ts';
import { authenticate } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { recordChainOutcomes } from '#lib/http/error-envelope.ts';
import { httpError } from '#lib/http/messages.ts';
import { INVALID_GRANT_DESCRIPTION, OAuthError, parseRevocationRequest, parseTokenRequest } from '#lib/http/oauth.ts';
import { failure, jsonResponse, success } from '#lib/http/response.ts';
import { HTTP_PATHS, routeKey } from '#lib/http/routes.ts';
import type { Refresh } from '#lib/sessions/refresh.ts';
import { parseRefreshRequest } from '#lib/sessions/request.ts';
import type { LogoutByAccessToken, RevokeRefreshToken } from '#lib/sessions/revoke.ts';
import type { SessionTelemetry } from '#lib/sessions/telemetry.ts';
import type { TokenVerifier } from '#lib/tokens/verifier.ts';

/** A logout sends a refresh token in its body, or no body and a bearer token. */
const hasBody = (body: unknown): boolean => body !== null && body !== undefined && body !== '';

/** Everything the refresh handler uses, built by createRefreshHandlerDependencies (or by a test). */
export interface RefreshHandlerDependencies {
  refresh: Refresh;
  revoke: RevokeRefreshToken;
  /** `POST /api/auth/logout` with no body: ends the bearer token's session. */
  logoutByAccessToken: LogoutByAccessToken;
  /** Verifies a logout's bearer token, with the public half of the key set the function signs with. */
  verify: TokenVerifier;
  /** The registered client ids, the default first (CLIENT_IDS). */
  clientIds: readonly string[];
  telemetry: SessionTelemetry;
  logger: Logger;
  metrics: Metrics;
  corsAllowedOrigins: string[];
}

/**
 * `POST /api/auth/refresh` (JSON, our contract), and the same refresh as RFC 6749's token
 * endpoint `POST /api/auth/token` (form-encoded, the standard's answers), plus RFC 7009's
 * `POST /api/auth/revoke` and `POST /api/auth/logout`, which end a refresh token's session (the
 * logout also a bearer token's, with no body). One use case, two encodings: rotation, grace and
 * reuse are the refresh's own. Everything that needs the refresh key is here, and only here.
 */
export const createRefreshHandler = ({
  refresh,
  revoke,
  logoutByAccessToken,
  verify,
  clientIds,
  telemetry,
  logger,
  metrics,
  corsAllowedOrigins,
}: RefreshHandlerDependencies) => {
  const jsonBody = httpJsonBodyParser();
  const [defaultClientId] = clientIds;
  const oauthRoute = (resource: string) => resource === HTTP_PATHS.token || resource === HTTP_PATHS.revoke;
  const recordChain = recordChainOutcomes((outcome, details) => telemetry.refresh(outcome, details));
  return createHttpHandler({
    logger,
    metrics,
    corsAllowedOrigins,
    // A refused token (the JSON route's 401, the token endpoint's invalid_grant) is recorded by the
    // refresh itself, with its reason; the chain records the rest once.
    onErrorResponse: (statusCode, reason) => (reason === 'invalid_grant' ? undefined : recordChain(statusCode, reason)),
  })
    .use({
      // The JSON routes are JSON (415 otherwise): refresh, and a logout that has a body; the OAuth
      // routes read their form themselves.
      before: (request) => {
        const { resource, body } = request.event;
        const json = resource === HTTP_PATHS.refresh || (resource === HTTP_PATHS.logout && hasBody(body));
        return json ? jsonBody.before?.(request) : undefined;
      },
      // Runs before the error envelope: on the OAuth routes, the chain's own 400 (a body nested
      // too deeply) is the standard's invalid_request too.
      onError: (request) => {
        if (oauthRoute(request.event.resource) && request.error instanceof BadRequestError) {
          request.error = new OAuthError('invalid_request', request.error.message);
        }
      },
    })
    .handler(async (event) => {
      switch (routeKey(event.httpMethod, event.resource)) {
        case routeKey('POST', HTTP_PATHS.refresh):
          return success(await refresh(parseRefreshRequest(event.body)));
        case routeKey('POST', HTTP_PATHS.token): {
          const { refreshToken, clientId } = parseTokenRequest(event, clientIds);
          try {
            const grant = await refresh(refreshToken, { clientId });
            // RFC 6749 section 5.1; never cached (jsonResponse sends no-store).
            return jsonResponse(200, {
              access_token: grant.token,
              token_type: 'Bearer',
              expires_in: grant.expiresIn,
              refresh_token: grant.refreshToken,
            });
          } catch (error) {
            if (error instanceof InvalidRefreshTokenError) {
              throw new OAuthError('invalid_grant', INVALID_GRANT_DESCRIPTION);
            }
            throw error;
          }
        }
        case routeKey('POST', HTTP_PATHS.revoke): {
          const { token, clientId } = parseRevocationRequest(event, clientIds);
          await revoke(token, { clientId, ...(defaultClientId && { defaultClientId }) });
          return success({});
        }
        case routeKey('POST', HTTP_PATHS.logout): {
          if (hasBody(event.body)) {
            await revoke(parseRefreshRequest(event.body));
          } else {
            // Any genuine token of the user ends its session, even one that has ended already.
            const claims = await authenticate(event.headers, verify);
            await logoutByAccessToken(claims.sub, claims.sid);
          }
          return success({});
        }
        default:
          return failure(404, httpError('notFound'));
      }
    });
};
