import { type Clock, systemClock } from '#lib/clock.ts';
import { InvalidRefreshTokenError } from '#lib/errors.ts';
import type { TokenSigner } from '#lib/tokens/signer.ts';
import type { UserStore } from '#lib/users/store.ts';
import { newUserId, toSafeUser } from '#lib/users/user.ts';
import type { SessionControl } from './control.ts';
import type { TokenGrant } from './grant.ts';
import { newSessionSalt, parseRefreshToken, type RefreshTokens } from './refresh-token.ts';
import { type SessionItem, type SessionPolicy, sessionEnd, sessionExpiresAt } from './session.ts';
import type { SessionStore } from './store.ts';
import type { RefreshOutcome, SessionTelemetry } from './telemetry.ts';

export interface RefreshDependencies {
  sessions: SessionStore;
  /** The global session epoch: every session of an earlier one is over. */
  control: SessionControl;
  /** The profile only (never the password hash): the role may read no other attribute. */
  users: Pick<UserStore, 'findProfileById'>;
  refreshTokens: RefreshTokens;
  tokens: TokenSigner;
  policy: SessionPolicy;
  telemetry: SessionTelemetry;
  clock?: Clock;
}

/** The same answer as a login's (see TokenGrantSchema). */
export type RefreshResult = TokenGrant;

export interface RefreshOptions {
  /**
   * The client presenting the token (the token endpoint's `client_id`): the session must be that
   * client's (RFC 6749 section 6), or the refresh fails like any other. Unset (the JSON route),
   * the session's client is not checked.
   */
  clientId?: string;
}

export type Refresh = (refreshToken: string, options?: RefreshOptions) => Promise<RefreshResult>;

/** What a presented generation means against the session as stored. */
type Verdict = 'rotate' | 'current' | 'reused' | 'unknown';

/**
 * The current generation rotates. The one just before it, within the grace period of the rotation
 * that replaced it, is a retry (another tab, a lost response): it gets the current token again.
 * Anything older, or the previous one after the grace period, is reuse.
 */
export const judgeGeneration = (
  session: SessionItem,
  presented: number,
  now: number,
  graceSeconds: number,
): Verdict => {
  if (presented === session.generation) return 'rotate';
  if (presented === session.generation - 1 && now < session.rotatedAt + graceSeconds * 1000) return 'current';
  if (presented < session.generation) return 'reused';
  // A genuine MAC for a generation that never was current: cannot happen without the key.
  return 'unknown';
};

class RefreshRefused extends Error {
  constructor(
    readonly outcome: RefreshOutcome,
    readonly details: Record<string, unknown> = {},
  ) {
    super(outcome);
  }
}

/**
 * The refresh use case: one token in, the session's next token out. Every failure is the same
 * InvalidRefreshTokenError, its reason only in the log, and every failure of a well-formed token
 * but reuse costs the same: one session read beside one read of the global epoch, then one MAC and
 * one user read. One conditional write decides each
 * rotation; concurrent refreshes with the same token all get the one new token.
 */
export const createRefresh = ({
  sessions,
  control,
  users,
  refreshTokens,
  tokens,
  policy,
  telemetry,
  clock = systemClock,
}: RefreshDependencies): Refresh => {
  const attempt = async (
    presented: string,
    { clientId }: RefreshOptions,
  ): Promise<RefreshResult & { outcome: RefreshOutcome; log: Record<string, unknown> }> => {
    const parsed = parseRefreshToken(presented);
    if (!parsed) throw new RefreshRefused('malformed');
    const log = { sessionId: parsed.sessionId, generation: parsed.generation };
    // The global epoch beside the session, in the same round: no round trip of its own. A read
    // that fails fails the refresh (a 503), never lets it through.
    const [session, global] = await Promise.all([sessions.get(parsed.sessionId), control.globalEpoch()]);
    // The same work whatever the read found, so that the time of a failure does not tell an
    // unknown session from a known one with a bad MAC or an ended one: one MAC (against a fresh
    // salt when there is no session) and one user read (of an id nobody has when there is none),
    // at once, and only then the verdict.
    const [genuine, user] = await Promise.all([
      refreshTokens.matches(parsed, session?.salt ?? newSessionSalt()),
      users.findProfileById(session?.userId ?? newUserId()),
    ]);
    if (!session) throw new RefreshRefused('unknown_session', log);
    if (!genuine) throw new RefreshRefused('bad_mac', log);
    const withUser = { ...log, userId: session.userId };
    const sessionClient = session.clientId ?? tokens.defaultClientId;
    if (clientId !== undefined && clientId !== sessionClient) throw new RefreshRefused('client_mismatch', withUser);

    if (!user) throw new RefreshRefused('user_gone', withUser);
    const now = clock().getTime();
    const ended = sessionEnd(session, now, policy, { user, global });
    if (ended) throw new RefreshRefused(ended === 'expired' ? 'expired' : 'session_ended', { ...withUser, ended });

    let current = session;
    let verdict = judgeGeneration(session, parsed.generation, now, policy.reuseGraceSeconds);
    let outcome: RefreshOutcome = 'retried';
    if (verdict === 'rotate') {
      // Rotation keeps the absolute end; only the idle end moves.
      const rotated = { ...session, lastUsedAt: now };
      const result = await sessions.rotate(session, now, sessionExpiresAt(rotated, policy));
      if (result.rotated) {
        current = { ...rotated, generation: session.generation + 1, rotatedAt: now };
        outcome = 'rotated';
      } else {
        // Another request rotated (or ended) it between our read and our write: judge again.
        if (!result.current) throw new RefreshRefused('unknown_session', withUser);
        if (result.current.endedAt !== undefined) throw new RefreshRefused('session_ended', withUser);
        // The write failed its condition (this generation, not ended) and the session is not
        // ended: its generation moved on, so the verdict is a retry or reuse, never a rotation.
        current = result.current;
        verdict = judgeGeneration(current, parsed.generation, now, policy.reuseGraceSeconds);
      }
    }
    if (verdict === 'reused') {
      await sessions.end(session.id, now);
      throw new RefreshRefused('refresh_token_reused', { ...withUser, currentGeneration: current.generation });
    }
    if (verdict === 'unknown') throw new RefreshRefused('bad_mac', withUser);

    const [token, refreshToken] = await Promise.all([
      tokens.sign(user.id, session.id, sessionClient),
      refreshTokens.issue({ sessionId: session.id, generation: current.generation }, session.salt),
    ]);
    return {
      token,
      refreshToken,
      expiresIn: tokens.ttlSeconds,
      user: toSafeUser(user),
      outcome,
      log: { ...withUser, generation: current.generation },
    };
  };

  return async (presented, options = {}) => {
    try {
      const { outcome, log, ...result } = await attempt(presented, options);
      telemetry.refresh(outcome, log);
      return result;
    } catch (error) {
      if (!(error instanceof RefreshRefused)) throw error;
      telemetry.refresh(error.outcome, error.details);
      throw new InvalidRefreshTokenError();
    }
  };
};
