import * as v from 'valibot';
import { type Clock, systemClock } from '#lib/clock.ts';
import { SessionNotFoundError } from '#lib/errors.ts';
import type { UserStore } from '#lib/users/store.ts';
import type { SessionControl } from './control.ts';
import {
  MAX_USER_AGENT_LENGTH,
  SESSION_START_METHODS,
  type SessionPolicy,
  sessionEnd,
  sessionExpiresAt,
  type UserSessionState,
} from './session.ts';
import type { SessionStore } from './store.ts';
import type { SessionTelemetry } from './telemetry.ts';

/**
 * A session as the list shows it: times in ISO 8601 (UTC), nothing about the device but its user
 * agent. The published contract is generated from this schema and the type inferred from it; strict,
 * so a field added to the list but not here fails the contract tests.
 */
export const SessionViewSchema = v.strictObject({
  id: v.pipe(v.string(), v.nonEmpty(), v.description('The session id: what `DELETE /api/auth/sessions/{id}` takes.')),
  createdAt: v.pipe(v.string(), v.isoTimestamp(), v.description('When the login that started it happened.')),
  lastUsedAt: v.pipe(v.string(), v.isoTimestamp(), v.description('Its login or its latest refresh.')),
  expiresAt: v.pipe(
    v.string(),
    v.isoTimestamp(),
    v.description('When it ends unless refreshed before: the idle end or the absolute end, whichever is first.'),
  ),
  userAgent: v.pipe(
    v.nullable(v.pipe(v.string(), v.maxLength(MAX_USER_AGENT_LENGTH))),
    v.description("The login request's User-Agent, cut short; null when it sent none."),
  ),
  current: v.pipe(v.boolean(), v.description("True for the session of the caller's own access token.")),
  startedBy: v.pipe(
    v.picklist(SESSION_START_METHODS),
    v.description('How the sign-in that started it was made: with a password or with a passkey.'),
  ),
});

export type SessionView = v.InferOutput<typeof SessionViewSchema>;

export interface SessionManagement {
  /** Ends every session of the user, the caller's own included, with one write on the user. */
  logoutAll(userId: string): Promise<void>;
  /** The user's live sessions, newest first. */
  list(userId: string, currentSessionId: string): Promise<SessionView[]>;
  /** Ends one of the user's own live sessions, by its id; SessionNotFoundError for any other id. */
  logoutById(userId: string, sessionId: string): Promise<void>;
}

export interface SessionManagementDependencies {
  sessions: SessionStore;
  /** The global session epoch, read beside the user's session state. */
  control: SessionControl;
  /** The session state alone is read: the role may read no other attribute of a user. */
  users: Pick<UserStore, 'findSessionStateById' | 'endAllSessions'>;
  policy: SessionPolicy;
  telemetry: SessionTelemetry;
  clock?: Clock;
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/**
 * Logout everywhere, the session list and ending one session by id: what a bearer caller does to
 * their sessions. Logout of one session (by refresh token or access token) is in revoke.ts, in the
 * refresh function, which holds the refresh key; these need no key.
 */
export const createSessionManagement = ({
  sessions,
  control,
  users,
  policy,
  telemetry,
  clock = systemClock,
}: SessionManagementDependencies): SessionManagement => {
  /** A user who is gone has no live sessions: an epoch no session carries. */
  const stateOf = async (userId: string): Promise<UserSessionState> =>
    (await users.findSessionStateById(userId)) ?? { sessionEpoch: Number.MAX_SAFE_INTEGER };

  return {
    async logoutAll(userId) {
      await users.endAllSessions(userId);
      telemetry.ended('logout_all', { userId });
    },

    async list(userId, currentSessionId) {
      const now = clock().getTime();
      const [user, global, listed] = await Promise.all([
        stateOf(userId),
        control.globalEpoch(),
        sessions.listByUser(
          userId,
          policy.maxPerUser,
          (session) => sessionEnd(session, now, policy, undefined) === undefined,
        ),
      ]);
      // The index holds neither epochs nor how sessions started: one batch read of the listed items does.
      const states = await sessions.listedState(listed.map((session) => session.id));
      const live = listed.filter((session) => {
        const state = states.get(session.id);
        return (
          state !== undefined &&
          sessionEnd({ ...session, epoch: state.epoch, globalEpoch: state.globalEpoch }, now, policy, {
            user,
            global,
          }) === undefined
        );
      });
      return live.map((session) => ({
        id: session.id,
        createdAt: iso(session.createdAt),
        lastUsedAt: iso(session.lastUsedAt),
        expiresAt: iso(sessionExpiresAt(session, policy)),
        userAgent: session.userAgent ?? null,
        current: session.id === currentSessionId,
        startedBy: states.get(session.id)?.startedBy ?? 'password',
      }));
    },

    async logoutById(userId, sessionId) {
      const now = clock().getTime();
      const [user, globalEpoch] = await Promise.all([stateOf(userId), control.globalEpoch()]);
      // Ownership and liveness are the write's condition: no read of the session to race with.
      const ended = await sessions.end(sessionId, now, {
        userId,
        user,
        globalEpoch,
        idleSeconds: policy.idleSeconds,
      });
      if (!ended) throw new SessionNotFoundError();
      telemetry.ended('logout', { sessionId, userId, by: 'session_id' });
    },
  };
};
