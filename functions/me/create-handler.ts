import type { Logger } from '@aws-lambda-powertools/logger';
import { type AuthenticatedContext, httpBearerAuth, invalidTokenError } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { success } from '#lib/http/response.ts';
import type { SessionAccess } from '#lib/sessions/access.ts';
import type { TokenVerifier } from '#lib/tokens/verifier.ts';
import { toSafeUser, type UserProfile } from '#lib/users/user.ts';

/** Everything the me handler uses, built by createMeHandlerDependencies (or by a test). */
export interface MeHandlerDependencies {
  logger: Logger;
  access: SessionAccess<UserProfile>;
  verify: TokenVerifier;
  corsAllowedOrigins: string[];
}

/** `GET /api/auth/me`: the safe user of the token's subject, while its session is live (read consistently). */
export const createMeHandler = ({ logger, access, verify, corsAllowedOrigins }: MeHandlerDependencies) =>
  createHttpHandler<AuthenticatedContext>({ logger, corsAllowedOrigins })
    .use(httpBearerAuth({ verify }))
    .handler(async (_event, context) => {
      const user = await access(context.auth);
      // A valid token of an ended session, or of a user who is gone, no longer authenticates anyone.
      if (!user) throw invalidTokenError();
      return success({ user: toSafeUser(user) });
    });
