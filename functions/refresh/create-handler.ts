import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { BadRequestError, InvalidRefreshTokenError } from '#lib/errors.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { recordChainOutcomes } from '#lib/http/error-envelope.ts';
import { httpError } from '#lib/http/messages.ts';
import { INVALID_GRANT_DESCRIPTION, OAuthError, parseRevocationRequest, parseTokenRequest } from '#lib/http/oauth.ts';
import { failure, jsonResponse, success } from '#lib/http/response.ts';
import { HTTP_PATHS, routeKey } from '#lib/http/routes.ts';
import type { Refresh } from '#lib/sessions/refresh.ts';
import { parseRefreshRequest } from '#lib/sessions/request.ts';
import type { RevokeRefreshToken } from '#lib/sessions/revoke.ts';
import type { SessionTelemetry } from '#lib/sessions/telemetry.ts';

/** Everything the refresh handler uses, built by createRefreshHandlerDependencies (or by a test). */
export interface RefreshHandlerDependencies {
  refresh: Refresh;
  revoke: RevokeRefreshToken;
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
 * `POST /api/auth/revoke`, which ends a refresh token's session as a logout by refresh token
 * does. One use case, two encodings: rotation, grace and reuse are the refresh's own.
 */
export const createRefreshHandler = ({
  refresh,
  revoke,
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
      // Only the JSON route is JSON (415 otherwise); the OAuth routes read their form themselves.
      before: (request) => (request.event.resource === HTTP_PATHS.refresh ? jsonBody.before?.(request) : undefined),
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
        default:
          return failure(404, httpError('notFound'));
      }
    });
};
