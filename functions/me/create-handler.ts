import type { Logger } from '@aws-lambda-powertools/logger';
import { type AuthenticatedContext, httpBearerAuth, invalidTokenError } from '#lib/http/bearer-auth.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { success } from '#lib/http/response.ts';
import type { TokenVerifier } from '#lib/tokens/verifier.ts';
import type { UserStore } from '#lib/users/store.ts';
import { parseUserItem, toSafeUser } from '#lib/users/user.ts';

export interface MeHandlerOptions {
  logger: Logger;
  users: Pick<UserStore, 'findById'>;
  verify: TokenVerifier;
  corsAllowedOrigins: string[];
}

/** `GET /api/auth/me`: the safe user of the token's subject, read consistently. */
export const createMeHandler = ({ logger, users, verify, corsAllowedOrigins }: MeHandlerOptions) =>
  createHttpHandler<AuthenticatedContext>({ logger, corsAllowedOrigins })
    .use(httpBearerAuth({ verify }))
    .handler(async (_event, context) => {
      const user = parseUserItem(await users.findById(context.auth.sub));
      // A valid token for a user who is gone (or unusable) no longer authenticates anyone.
      if (!user) throw invalidTokenError();
      return success({ user: toSafeUser(user) });
    });
