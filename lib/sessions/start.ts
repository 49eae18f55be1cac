import { type Clock, systemClock } from '#lib/clock.ts';
import { newSessionId, newSessionSalt, type RefreshTokens } from './refresh-token.ts';
import { type SessionItem, type SessionPolicy, sessionEnd, sessionExpiresAt, storedUserAgent } from './session.ts';
import type { SessionStore } from './store.ts';

/** Sessions read beyond the cap, to end any that concurrent logins let past it. */
const CAP_SLACK = 10;

export interface StartedSession {
  sessionId: string;
  refreshToken: string;
}

/** Starts a session for a user who just proved who they are (a login). */
export type StartSession = (
  user: { id: string; sessionsValidAfter?: number | undefined },
  userAgent: string | undefined,
) => Promise<StartedSession>;

export interface StartSessionDependencies {
  sessions: SessionStore;
  refreshTokens: RefreshTokens;
  policy: SessionPolicy;
  clock?: Clock;
  /** Told of each session the cap ends. */
  onCapped?: (details: { sessionId: string; userId: string }) => void;
}

/**
 * A new session: a random id and salt, generation 0, and the refresh token for it. The write and
 * the look at the user's other sessions run side by side; when the user already has
 * `maxPerUser` live sessions besides the new one, the oldest are ended. The cap reads the user
 * index, which lags by a moment, so logins at the very same time may each keep one more.
 */
export const createSessionStarter = ({
  sessions,
  refreshTokens,
  policy,
  clock = systemClock,
  onCapped,
}: StartSessionDependencies): StartSession => {
  const enforceCap = async (
    userId: string,
    newSessionId: string,
    validAfter: number | undefined,
    now: number,
  ): Promise<void> => {
    // The new session may or may not show yet (its write runs alongside): it never counts here. A
    // few more than the cap are read, so that sessions concurrent logins let past it go too.
    const live = await sessions.listByUser(
      userId,
      policy.maxPerUser + CAP_SLACK,
      (session) => session.id !== newSessionId && sessionEnd(session, now, policy, validAfter) === undefined,
    );
    // Newest first: everything from the (max - 1)th on makes room for the new session.
    for (const session of live.slice(policy.maxPerUser - 1)) {
      if (await sessions.end(session.id, now)) onCapped?.({ sessionId: session.id, userId });
    }
  };

  return async (user, userAgent) => {
    const now = clock().getTime();
    const session: SessionItem = {
      id: newSessionId(),
      userId: user.id,
      salt: newSessionSalt(),
      generation: 0,
      rotatedAt: now,
      createdAt: now,
      lastUsedAt: now,
      absoluteExpiresAt: now + policy.ttlSeconds * 1000,
      ...(storedUserAgent(userAgent) !== undefined && { userAgent: storedUserAgent(userAgent) }),
    };
    await Promise.all([
      sessions.create({ ...session, expiresAt: Math.ceil(sessionExpiresAt(session, policy) / 1000) }),
      enforceCap(user.id, session.id, user.sessionsValidAfter, now),
    ]);
    return {
      sessionId: session.id,
      refreshToken: await refreshTokens.issue({ sessionId: session.id, generation: 0 }, session.salt),
    };
  };
};
