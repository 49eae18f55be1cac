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
