import { type Clock, systemClock } from '#lib/clock.ts';
import { parseRefreshToken, type RefreshTokens } from './refresh-token.ts';
import type { SessionStore } from './store.ts';
import type { SessionTelemetry } from './telemetry.ts';

export interface RevokeOptions {
  /**
   * The client asking (RFC 7009's `client_id`): a session of another client is left alone, with
   * the same answer. Unset (logout by refresh token), any genuine token's session ends.
   */
  clientId?: string;
  /** The client of a session that names none: the default client. */
  defaultClientId?: string;
}

/**
 * Logout, for the one function that holds the refresh key (refresh): by refresh token, which takes
 * the key to check, and by access token, which takes none but lives here beside it so that
 * `POST /api/auth/logout` is one route of one function.
 *
 * Ends the session of a refresh token, if the token is genuine (any generation: ending is always
 * safe). Says nothing either way: an unknown, ended or forged token is not an error (RFC 7009
 * section 2.2). Work: at most one session read, one MAC and one conditional write.
 */
export type RevokeRefreshToken = (refreshToken: string, options?: RevokeOptions) => Promise<void>;

export const createRefreshTokenRevocation = ({
  sessions,
  refreshTokens,
  telemetry,
  clock = systemClock,
}: {
  sessions: Pick<SessionStore, 'get' | 'end'>;
  refreshTokens: Pick<RefreshTokens, 'matches'>;
  telemetry: Pick<SessionTelemetry, 'ended'>;
  clock?: Clock;
}): RevokeRefreshToken => {
  return async (refreshToken, { clientId, defaultClientId } = {}) => {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) return;
    const session = await sessions.get(parsed.sessionId);
    if (!session || !(await refreshTokens.matches(parsed, session.salt))) return;
    if (clientId !== undefined && clientId !== (session.clientId ?? defaultClientId)) return;
    if (await sessions.end(session.id, clock().getTime())) {
      telemetry.ended('logout', { sessionId: session.id, userId: session.userId, by: 'refresh_token' });
    }
  };
};

/**
 * Ends the session an access token names (its `sid`), if it is the caller's (`sub`); ended
 * already is fine. Any genuine access token of the user ends its session, even one whose session
 * has ended already: there is nothing to refuse. Work: one session read and one conditional write.
 */
export type LogoutByAccessToken = (userId: string, sessionId: string) => Promise<void>;

export const createAccessTokenLogout = ({
  sessions,
  telemetry,
  clock = systemClock,
}: {
  sessions: Pick<SessionStore, 'get' | 'end'>;
  telemetry: Pick<SessionTelemetry, 'ended'>;
  clock?: Clock;
}): LogoutByAccessToken => {
  return async (userId, sessionId) => {
    const session = await sessions.get(sessionId);
    if (session?.userId !== userId) return;
    if (await sessions.end(sessionId, clock().getTime())) {
      telemetry.ended('logout', { sessionId, userId, by: 'access_token' });
    }
  };
};
