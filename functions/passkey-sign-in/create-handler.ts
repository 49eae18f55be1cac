import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { createHttpHandler } from '#lib/http/chain.ts';
import { httpError } from '#lib/http/messages.ts';
import { failure, success } from '#lib/http/response.ts';
import { HTTP_PATHS, routeKey } from '#lib/http/routes.ts';
import { parseAuthenticationRequest, parseOptionsRequest } from '#lib/passkeys/request.ts';
import type { PasskeySignIn } from '#lib/passkeys/sign-in.ts';

/** Everything the passkey sign-in handler uses, built by createPasskeySignInHandlerDependencies (or by a test). */
export interface PasskeySignInHandlerDependencies {
  signIn: PasskeySignIn;
  logger: Logger;
  metrics: Metrics;
  corsAllowedOrigins: string[];
}

/**
 * `POST /api/auth/passkeys/authentication/options` and `POST /api/auth/passkeys/authentication`:
 * no Authorization header; the second answers with the same token grant as a password login.
 */
export const createPasskeySignInHandler = ({
  signIn,
  logger,
  metrics,
  corsAllowedOrigins,
}: PasskeySignInHandlerDependencies) => {
  const jsonBody = httpJsonBodyParser();
  return createHttpHandler({ logger, metrics, corsAllowedOrigins })
    .use({
      // The options route may be called without a body.
      before: (request) => (request.event.body ? jsonBody.before?.(request) : undefined),
    })
    .handler(async (event) => {
      switch (routeKey(event.httpMethod, event.resource)) {
        case routeKey('POST', HTTP_PATHS.passkeyAuthenticationOptions):
          parseOptionsRequest(event.body);
          return success(await signIn.options());
        case routeKey('POST', HTTP_PATHS.passkeyAuthentication):
          return success(
            await signIn.signIn(parseAuthenticationRequest(event.body), { userAgent: event.headers?.['user-agent'] }),
          );
        default:
          return failure(404, httpError('notFound'));
      }
    });
};
