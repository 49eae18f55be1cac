import { type Clock, systemClock } from '#lib/clock.ts';
import { newSessionId, newSessionSalt, type RefreshTokens } from './refresh-token.ts';
import {
  type SessionItem,
  type SessionPolicy,
  type SessionStartMethod,
  sessionEnd,
  sessionExpiresAt,
  storedUserAgent,
} from './session.ts';
import type { PasswordChangeWrite, SessionStore, StartResult } from './store.ts';

/** Sessions read beyond the cap, to end any that concurrent logins let past it. */
const CAP_SLACK = 10;

export interface StartedSession {
  started: true;
  sessionId: string;
  refreshToken: string;
  /** The global epoch the session lives in: what the sign-in's device token is bound to. */
  globalEpoch: number;
}

/**
 * The user as the login read it: the item whose password hash was just compared; and the global
 * session epoch (lib/sessions/control.ts) the sign-in read beside it, which the session records.
 * A sign-in that read it just before an operator moved it on starts a session that is over
 * already: it fails closed, and the client signs in again.
 */
export interface CheckedUser {
  id: string;
  passwordHash: string;
  sessionEpoch: number;
  globalEpoch: number;
}

/**
 * Starts a session for a user who just proved who they are, only while the user item still holds
 * the hash that was compared and the epoch read with it (else `started: false`: the password
 * changed, or all sessions were ended, in the meantime). With `change`, the password change and
 * the session are one transaction, and the session is the first of the next epoch.
 */
export interface StartOptions {
  /** A password change: the change and the session are one transaction. */
  change?: PasswordChangeWrite | undefined;
  /** The proof the sign-in took, kept with the session for the list: a password unless said otherwise. */
  startedBy?: SessionStartMethod | undefined;
  /** The registered client it is for; none means the default client. */
  clientId?: string | undefined;
}

export type StartSession = (
  user: CheckedUser,
  userAgent: string | undefined,
  options?: StartOptions,
) => Promise<StartedSession | Exclude<StartResult, { started: true }>>;

export interface StartSessionDependencies {
  sessions: SessionStore;
  refreshTokens: RefreshTokens;
  policy: SessionPolicy;
  clock?: Clock;
  /** Told of each session the cap ends. */
  onCapped?: (details: { sessionId: string; userId: string }) => void;
}

/**
 * A new session: a random id and salt, generation 0, the user's epoch, and the refresh token for
 * it. Once it is written, when the user already has `maxPerUser` live sessions besides the new
 * one, the oldest are ended. The cap reads the user index, which lags by a moment, so logins at
 * the very same time may each keep one more.
 */
export const createSessionStarter = ({
  sessions,
  refreshTokens,
  policy,
  clock = systemClock,
  onCapped,
}: StartSessionDependencies): StartSession => {
  /**
   * The user's live sessions besides the new one, read beside its write: the new session may or
   * may not show yet (the index lags), and it never counts here. A few more than the cap are
   * read, so that sessions concurrent logins let past it go too. The index does not hold epochs: a
   * session a password change ended counts until it expires, which only means the cap ends it
   * (one of the oldest) before any live one.
   */
  const othersLive = (userId: string, newSessionId: string, now: number) =>
    sessions.listByUser(
      userId,
      policy.maxPerUser + CAP_SLACK,
      (session) => session.id !== newSessionId && sessionEnd(session, now, policy, undefined) === undefined,
    );

  /** Newest first: everything from the (max - 1)th on makes room for the new session. */
  const enforceCap = async (live: readonly { id: string }[], userId: string, now: number): Promise<void> => {
    for (const session of live.slice(policy.maxPerUser - 1)) {
      if (await sessions.end(session.id, now)) onCapped?.({ sessionId: session.id, userId });
    }
  };

  return async (user, userAgent, { change, startedBy = 'password', clientId } = {}) => {
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
      epoch: change ? user.sessionEpoch + 1 : user.sessionEpoch,
      globalEpoch: user.globalEpoch,
      startedBy,
      // Stryker disable next-line ConditionalExpression: equivalent, the document client drops undefined values (removeUndefinedValues)
      ...(storedUserAgent(userAgent) !== undefined && { userAgent: storedUserAgent(userAgent) }),
      // Stryker disable next-line ConditionalExpression: equivalent, the document client drops undefined values (removeUndefinedValues)
      ...(clientId !== undefined && { clientId }),
    };
    // One round: the write, and (but after a password change, when every other session is over
    // already) the cap's read beside it.
    const [result, refreshToken, live] = await Promise.all([
      sessions.create(
        { ...session, expiresAt: Math.ceil(sessionExpiresAt(session, policy) / 1000) },
        { userId: user.id, passwordHash: user.passwordHash, sessionEpoch: user.sessionEpoch },
        change,
      ),
      refreshTokens.issue({ sessionId: session.id, generation: 0 }, session.salt),
      change ? [] : othersLive(user.id, session.id, now),
    ]);
    if (!result.started) return result;
    // Only once the session exists, so a login that lost its race ends nobody's session.
    await enforceCap(live, user.id, now);
    return { started: true, sessionId: session.id, refreshToken, globalEpoch: user.globalEpoch };
  };
};
