import type { Logger } from '@aws-lambda-powertools/logger';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Clock } from '#lib/clock.ts';
import { authenticate, freshSignInRequiredError } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { httpError } from '#lib/http/messages.ts';
import { failure, success } from '#lib/http/response.ts';
import { HTTP_PATHS, routeKey } from '#lib/http/routes.ts';
import { isFreshSignIn, type PasskeyManagement, type PasskeyPolicy } from '#lib/passkeys/manage.ts';
import { parseOptionsRequest, parseRegistrationRequest } from '#lib/passkeys/request.ts';
import type { LiveSessionLookup } from '#lib/sessions/access.ts';
import type { TokenVerifier } from '#lib/tokens/verifier.ts';
import type { UserProfile } from '#lib/users/user.ts';

/** Everything the passkeys handler uses, built by createPasskeysHandlerDependencies (or by a test). */
export interface PasskeysHandlerDependencies {
  logger: Logger;
  manage: PasskeyManagement;
  liveSession: LiveSessionLookup<UserProfile>;
  verify: TokenVerifier;
  policy: Pick<PasskeyPolicy, 'freshSignInSeconds'>;
  clock: Clock;
  corsAllowedOrigins: string[];
}

/**
 * `POST /api/auth/passkeys/registration/options`, `POST /api/auth/passkeys/registration`,
 * `GET /api/auth/passkeys` and `DELETE /api/auth/passkeys/{id}`: one function that verifies
 * access tokens and never signs one. Every route needs the bearer token of a live session; the
 * registration routes need one whose session started within PASSKEY_FRESH_LOGIN_SECONDS.
 */
export const createPasskeysHandler = ({
  logger,
  manage,
  liveSession,
  verify,
  policy,
  clock,
  corsAllowedOrigins,
}: PasskeysHandlerDependencies) => {
  const jsonBody = httpJsonBodyParser();
  /** The caller and its live session; with `fresh`, a session that started recently enough. */
  const caller = async (event: APIGatewayProxyEvent, fresh: boolean) => {
    let live: Awaited<ReturnType<LiveSessionLookup<UserProfile>>>;
    await authenticate(event.headers, verify, async (claims) => {
      live = await liveSession(claims);
      return live !== undefined;
    });
    // authenticate resolves only once `accept` found the live session.
    const { user, session } = live as NonNullable<typeof live>;
    if (fresh && !isFreshSignIn(session, clock().getTime(), policy)) {
      throw freshSignInRequiredError(policy.freshSignInSeconds);
    }
    return user;
  };

  return createHttpHandler({ logger, corsAllowedOrigins })
    .use({
      // The options routes may be called without a body; the others' bodies are parsed as JSON.
      before: (request) => (request.event.body ? jsonBody.before?.(request) : undefined),
    })
    .handler(async (event) => {
      switch (routeKey(event.httpMethod, event.resource)) {
        case routeKey('POST', HTTP_PATHS.passkeyRegistrationOptions): {
          const user = await caller(event, true);
          parseOptionsRequest(event.body);
          return success(await manage.registrationOptions(user));
        }
        case routeKey('POST', HTTP_PATHS.passkeyRegistration): {
          const user = await caller(event, true);
          return success({ passkey: await manage.register(user, parseRegistrationRequest(event.body)) });
        }
        case routeKey('GET', HTTP_PATHS.passkeys): {
          const user = await caller(event, false);
          return success({ passkeys: await manage.list(user.id) });
        }
        case routeKey('DELETE', HTTP_PATHS.passkey): {
          const user = await caller(event, false);
          await manage.remove(user.id, event.pathParameters?.id ?? '');
          return success({});
        }
        default:
          return failure(404, httpError('notFound'));
      }
    });
};
