import { type Clock, systemClock } from '#lib/clock.ts';
import type { SessionControl } from './control.ts';
import type { SessionItem, SessionPolicy, UserSessionState } from './session.ts';
import { sessionEnd } from './session.ts';
import type { SessionStore } from './store.ts';

/** What access needs of a user: its id and its session state; a caller may read more (a profile). */
type SessionUser = UserSessionState & { id: string };

/**
 * The user behind a verified access token, only while the token's session is live: read
 * consistently, so that ending a session (or all of them) takes effect at once for our own
 * endpoints. `undefined` for an ended, expired or unknown session, for a session of an earlier
 * epoch (a password change, logout everywhere), of an earlier global epoch (an operator ended
 * every session) and for a user who is gone. The three reads (the session, the user, the global
 * epoch) run side by side: the epoch checks cost no round trip beyond the user read the answer
 * needs anyway. A read that fails fails the check with it: a 503, never a pass.
 * `readUser` is the caller's own read, of what it needs and may read (a profile for
 * `/api/auth/me`, the session state alone for the session routes).
 */
export type SessionAccess<TUser extends SessionUser = SessionUser> = (claims: {
  sub: string;
  sid: string;
}) => Promise<TUser | undefined>;

/** As SessionAccess, with the live session itself (when it started, how): for rules about the sign-in. */
export type LiveSessionLookup<TUser extends SessionUser = SessionUser> = (claims: {
  sub: string;
  sid: string;
}) => Promise<{ user: TUser; session: SessionItem } | undefined>;

interface SessionAccessDependencies<TUser extends SessionUser> {
  sessions: Pick<SessionStore, 'get'>;
  control: SessionControl;
  /** The user by id, read strongly consistently; `undefined` when there is none. */
  readUser: (id: string) => Promise<TUser | undefined>;
  policy: Pick<SessionPolicy, 'idleSeconds'>;
  clock?: Clock;
}

export const createLiveSessionLookup = <TUser extends SessionUser>({
  sessions,
  control,
  readUser,
  policy,
  clock = systemClock,
}: SessionAccessDependencies<TUser>): LiveSessionLookup<TUser> => {
  return async ({ sub, sid }) => {
    const [session, user, global] = await Promise.all([sessions.get(sid), readUser(sub), control.globalEpoch()]);
    if (!session || !user || session.userId !== user.id) return undefined;
    return sessionEnd(session, clock().getTime(), policy, { user, global }) ? undefined : { user, session };
  };
};

export const createSessionAccess = <TUser extends SessionUser>(
  dependencies: SessionAccessDependencies<TUser>,
): SessionAccess<TUser> => {
  const lookup = createLiveSessionLookup(dependencies);
  return async (claims) => (await lookup(claims))?.user;
};
