import type { Logger } from '@aws-lambda-powertools/logger';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { SessionNotFoundError } from '#lib/errors.ts';
import { authenticate } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { httpError } from '#lib/http/messages.ts';
import { failure, success } from '#lib/http/response.ts';
import { HTTP_PATHS, routeKey } from '#lib/http/routes.ts';
import type { SessionAccess } from '#lib/sessions/access.ts';
import type { SessionManagement } from '#lib/sessions/manage.ts';
import { isSessionId } from '#lib/sessions/refresh-token.ts';
import type { TokenVerifier } from '#lib/tokens/verifier.ts';

/** Everything the sessions handler uses, built by createSessionsHandlerDependencies (or by a test). */
export interface SessionsHandlerDependencies {
  logger: Logger;
  manage: SessionManagement;
  access: SessionAccess;
  verify: TokenVerifier;
  corsAllowedOrigins: string[];
}

/**
 * `POST /api/auth/logout-all`, `GET /api/auth/sessions` and `DELETE /api/auth/sessions/{id}`: one
 * function, routed by API Gateway's resource, for a bearer caller. It holds no refresh key, so it
 * cannot make a refresh token: `POST /api/auth/logout` (which may take one) is the refresh
 * function's.
 */
export const createSessionsHandler = ({
  logger,
  manage,
  access,
  verify,
  corsAllowedOrigins,
}: SessionsHandlerDependencies) => {
  const jsonBody = httpJsonBodyParser();
  /** The caller, whose session must still be live: an ended session's token manages nothing. */
  const caller = (event: APIGatewayProxyEvent) =>
    authenticate(event.headers, verify, async (claims) => (await access(claims)) !== undefined);

  return createHttpHandler({ logger, corsAllowedOrigins })
    .use({
      // No route here takes a body; one that is sent must still be JSON.
      before: (request) => (request.event.body ? jsonBody.before?.(request) : undefined),
    })
    .handler(async (event) => {
      const route = routeKey(event.httpMethod, event.resource);
      switch (route) {
        case routeKey('POST', HTTP_PATHS.logoutAll): {
          await manage.logoutAll((await caller(event)).sub);
          return success({});
        }
        case routeKey('GET', HTTP_PATHS.sessions): {
          const claims = await caller(event);
          return success({ sessions: await manage.list(claims.sub, claims.sid) });
        }
        case routeKey('DELETE', HTTP_PATHS.session): {
          const claims = await caller(event);
          const id = event.pathParameters?.id ?? '';
          if (!isSessionId(id)) throw new SessionNotFoundError();
          await manage.logoutById(claims.sub, id);
          return success({});
        }
        default:
          return failure(404, httpError('notFound'));
      }
    });
};
