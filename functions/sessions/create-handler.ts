import type { Logger } from '@aws-lambda-powertools/logger';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { SessionNotFoundError } from '#lib/errors.ts';
import { authenticate } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { failure, success } from '#lib/http/response.ts';
import type { SessionAccess } from '#lib/sessions/access.ts';
import type { SessionManagement } from '#lib/sessions/manage.ts';
import { parseRefreshRequest } from '#lib/sessions/request.ts';
import type { TokenVerifier } from '#lib/tokens/verifier.ts';

export const LOGOUT_PATH = '/api/auth/logout';
export const LOGOUT_ALL_PATH = '/api/auth/logout-all';
export const SESSIONS_PATH = '/api/auth/sessions';
export const SESSION_PATH = '/api/auth/sessions/{id}';

export interface SessionsHandlerOptions {
  logger: Logger;
  manage: SessionManagement;
  access: SessionAccess;
  verify: TokenVerifier;
  corsAllowedOrigins: string[];
}

/** A session id is 22 base64url characters; anything else cannot name one, and costs no read. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * `POST /api/auth/logout`, `POST /api/auth/logout-all`, `GET /api/auth/sessions` and
 * `DELETE /api/auth/sessions/{id}`: one function, routed by API Gateway's resource. A logout body
 * is JSON (415 otherwise); a logout without a body uses the bearer token.
 */
export const createSessionsHandler = ({
  logger,
  manage,
  access,
  verify,
  corsAllowedOrigins,
}: SessionsHandlerOptions) => {
  const jsonBody = httpJsonBodyParser();
  /** The caller, whose session must still be live: an ended session's token manages nothing. */
  const caller = (event: APIGatewayProxyEvent) =>
    authenticate(event.headers, verify, async (claims) => (await access(claims)) !== undefined);

  return createHttpHandler({ logger, corsAllowedOrigins })
    .use({
      // Only a logout carries a body, and it may have none.
      before: (request) => (request.event.body ? jsonBody.before?.(request) : undefined),
    })
    .handler(async (event) => {
      const route = `${event.httpMethod} ${event.resource}`;
      switch (route) {
        case `POST ${LOGOUT_PATH}`: {
          if (event.body !== null && event.body !== undefined && event.body !== '') {
            await manage.logoutByRefreshToken(parseRefreshRequest(event.body));
          } else {
            // Any genuine token of the user ends its session, even one that has ended already.
            const claims = await authenticate(event.headers, verify);
            await manage.logoutSession(claims.sub, claims.sid);
          }
          return success({});
        }
        case `POST ${LOGOUT_ALL_PATH}`: {
          await manage.logoutAll((await caller(event)).sub);
          return success({});
        }
        case `GET ${SESSIONS_PATH}`: {
          const claims = await caller(event);
          return success({ sessions: await manage.list(claims.sub, claims.sid) });
        }
        case `DELETE ${SESSION_PATH}`: {
          const claims = await caller(event);
          const id = event.pathParameters?.id ?? '';
          if (!SESSION_ID_PATTERN.test(id)) throw new SessionNotFoundError();
          await manage.endOwn(claims.sub, id);
          return success({});
        }
        default:
          return failure(404, 'Not found');
      }
    });
};
