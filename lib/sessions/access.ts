import { type Clock, systemClock } from '#lib/clock.ts';
import type { UserStore } from '#lib/users/store.ts';
import type { UserItem } from '#lib/users/user.ts';
import type { SessionPolicy } from './session.ts';
import { sessionEnd } from './session.ts';
import type { SessionStore } from './store.ts';

/**
 * The user behind a verified access token, only while the token's session is live: read
 * consistently, so that ending a session (or all of them) takes effect at once for our own
 * endpoints. `undefined` for an ended, expired or unknown session, for a session of an earlier
 * epoch (a password change, logout everywhere) and for a user who is gone. The two reads run side
 * by side: the epoch check costs no round trip beyond the user read the answer needs anyway.
 */
export type SessionAccess = (claims: { sub: string; sid: string }) => Promise<UserItem | undefined>;

export const createSessionAccess = ({
  sessions,
  users,
  policy,
  clock = systemClock,
}: {
  sessions: Pick<SessionStore, 'get'>;
  users: Pick<UserStore, 'findById'>;
  policy: Pick<SessionPolicy, 'idleSeconds'>;
  clock?: Clock;
}): SessionAccess => {
  return async ({ sub, sid }) => {
    const [session, user] = await Promise.all([sessions.get(sid), users.findById(sub)]);
    if (!session || !user || session.userId !== user.id) return undefined;
    return sessionEnd(session, clock().getTime(), policy, user) ? undefined : user;
  };
};
