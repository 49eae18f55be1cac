import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { authenticate, invalidTokenError } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { success } from '#lib/http/response.ts';
import type { ChangePassword } from '#lib/login/password-change.ts';
import { parsePasswordChangeRequest } from '#lib/login/password-change-request.ts';
import type { PasswordChangeTelemetry } from '#lib/login/password-change-telemetry.ts';
import type { LiveSessionLookup } from '#lib/sessions/access.ts';
import type { TokenVerifier } from '#lib/tokens/verifier.ts';
import type { UserItem } from '#lib/users/user.ts';

/** Everything the password change handler uses, built by createPasswordHandlerDependencies (or by a test). */
export interface PasswordHandlerDependencies {
  changePassword: ChangePassword;
  /** The caller's whole user item (the change compares its password hash) and live session. */
  liveSession: LiveSessionLookup<UserItem>;
  verify: TokenVerifier;
  telemetry: PasswordChangeTelemetry;
  logger: Logger;
  metrics: Metrics;
  corsAllowedOrigins: string[];
}

/**
 * `POST /api/auth/password`: the bearer caller (a live session, read consistently), then the body,
 * then the change. The caller's user item, as that check read it, is the one whose hash the
 * current password is compared with and the change is conditional on.
 */
export const createPasswordHandler = ({
  changePassword,
  liveSession,
  verify,
  telemetry,
  logger,
  metrics,
  corsAllowedOrigins,
}: PasswordHandlerDependencies) =>
  createHttpHandler({
    logger,
    metrics,
    corsAllowedOrigins,
    // 400 for the policy, 401 and 429 are recorded by the change itself, with more to say.
    onErrorResponse: (statusCode, reason) => {
      if (statusCode === 413 || statusCode === 415) telemetry.record('bad_input', { statusCode, reason });
      if (statusCode >= 500) telemetry.record('error', { statusCode });
    },
  })
    .use(httpJsonBodyParser())
    .handler(async (event) => {
      let live: Awaited<ReturnType<typeof liveSession>>;
      const claims = await authenticate(event.headers, verify, async (claims) => {
        live = await liveSession(claims);
        return live !== undefined;
      });
      if (!live) throw invalidTokenError();
      const request = parsePasswordChangeRequest(event.body);
      const result = await changePassword(
        {
          user: live.user,
          sessionId: claims.sid,
          globalEpoch: live.session.globalEpoch ?? 0,
          userAgent: event.headers?.['user-agent'],
          clientId: claims.client_id,
        },
        request,
      );
      if (!result.changed) throw invalidTokenError();
      return success(result.grant);
    });
