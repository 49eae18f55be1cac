import { InvalidCredentialsError, TooManyAttemptsError } from '#lib/errors.ts';
import type { TokenGrant } from '#lib/sessions/grant.ts';
import type { StartSession } from '#lib/sessions/start.ts';
import type { TokenSigner } from '#lib/tokens/signer.ts';
import type { PasswordVerifier } from '#lib/users/passwords.ts';
import type { UserLookup, UserStore } from '#lib/users/store.ts';
import { toSafeUser, type UserItem } from '#lib/users/user.ts';
import type { AttemptClaim, LoginAttempts } from './attempts.ts';
import type { IdentifierHash } from './identifier-hash.ts';
import type { LoginRequest } from './request.ts';
import type { LoginOutcome, LoginTelemetry } from './telemetry.ts';

export interface LoginDependencies {
  users: UserStore;
  attempts: LoginAttempts;
  identifierHash: IdentifierHash;
  passwords: PasswordVerifier;
  tokens: TokenSigner;
  startSession: StartSession;
  telemetry: LoginTelemetry;
}

/** The token, the refresh token of the new session, its lifetime and the safe user (see TokenGrantSchema). */
export type LoginResult = TokenGrant;

/** What the login knows of the request besides its body. */
export interface LoginContext {
  /** The User-Agent header, kept (cut short) with the session for the session list. */
  userAgent?: string | undefined;
}

export type Login = (request: LoginRequest, context?: LoginContext) => Promise<LoginResult>;

type Lookup = { user: UserItem } | { user: undefined; outcome: LoginOutcome };

/** Why a lookup that found no usable user fails the login, for the logs. */
const LOOKUP_OUTCOMES = {
  none: 'unknown_identifier',
  several: 'ambiguous_identifier',
  invalid: 'invalid_user_record',
} as const satisfies Record<Exclude<UserLookup['found'], 'one'>, LoginOutcome>;

const selectUser = (lookup: UserLookup): Lookup =>
  lookup.found === 'one' ? { user: lookup.user } : { user: undefined, outcome: LOOKUP_OUTCOMES[lookup.found] };

/**
 * The login use case. An identifier is throttled on its failures whether or not it belongs to
 * anyone: each attempt claims its place in the identifier's budget before bcrypt runs (see
 * lib/login/attempts.ts), and an attempt that gets none is answered 429 without bcrypt work.
 * Every other failure (unknown identifier, wrong password, several matches, an unusable record,
 * a password bcrypt would truncate) costs one bcrypt compare, one counted failure and the same
 * InvalidCredentialsError.
 */
export const createLogin = ({
  users,
  attempts,
  identifierHash,
  passwords,
  tokens,
  startSession,
  telemetry,
}: LoginDependencies): Login => {
  /**
   * After a successful compare, a hash made at a lower cost than configured is replaced by one at
   * the configured cost: the one moment the plain password is at hand. Only if the stored hash is
   * still the one that was read. Best effort: a failure here never fails the login.
   */
  const rehashIfWeak = async (user: UserItem, password: string): Promise<'done' | 'changed' | 'failed' | undefined> => {
    if (!passwords.needsRehash(user.passwordHash)) return undefined;
    try {
      const replaced = await users.replacePasswordHash(user.id, user.passwordHash, await passwords.hash(password));
      return replaced ? 'done' : 'changed';
    } catch (error) {
      telemetry.warn('Rehash failed', { userId: user.id, error });
      return 'failed';
    }
  };

  /** Forgetting the failures is best effort too: the password was right, and the claim goes stale by itself. */
  const settleSuccess = async (claim: AttemptClaim, userId: string): Promise<void> => {
    try {
      await claim.succeed();
    } catch (error) {
      telemetry.warn('Attempt reset failed', { userId, error });
    }
  };

  return async ({ identifier, password }, context = {}) => {
    // Independent work, all started at once (the claim waits only for the key it is made
    // under); the attempt is counted (claimed) before any bcrypt work. All of it happens for
    // every identifier alike.
    const hashing = identifierHash(identifier);
    const [claimed, found, ready, hashed] = await Promise.allSettled([
      hashing.then((hash) => attempts.claim(hash)),
      users.findByIdentifier(identifier),
      tokens.ready(),
      hashing,
    ]);
    if (claimed.status === 'rejected' || hashed.status === 'rejected') {
      throw claimed.status === 'rejected' ? claimed.reason : (hashed as PromiseRejectedResult).reason;
    }
    const log = { identifierHash: hashed.value, identifierKind: identifier.kind };
    const result = claimed.value;
    if (found.status === 'rejected' || ready.status === 'rejected') {
      // No password was checked: the claim goes back uncounted (best effort; it goes stale anyway).
      if (result.granted) await result.claim.release().catch(() => undefined);
      throw found.status === 'rejected' ? found.reason : (ready as PromiseRejectedResult).reason;
    }

    if (!result.granted) {
      telemetry.record('throttled', { ...log, retryAfterSeconds: result.retryAfterSeconds });
      throw new TooManyAttemptsError(result.retryAfterSeconds);
    }

    const lookup = selectUser(found.value);
    const matches = await passwords.verify(password, lookup.user?.passwordHash);
    if (!lookup.user || !matches) {
      await result.claim.fail();
      if (lookup.user) {
        // A hash of a cost outside the accepted range was never compared (lib/users/passwords.ts).
        const outcome = passwords.accepts(lookup.user.passwordHash) ? 'bad_password' : 'hash_cost_refused';
        telemetry.record(outcome, { ...log, userId: lookup.user.id });
      } else telemetry.record(lookup.outcome, log);
      throw new InvalidCredentialsError();
    }

    // Three independent writes, at once: forgetting the failures and the rehash are best effort
    // (they never reject); each successful login starts a new session, which the token names (`sid`).
    const [, rehashed, { sessionId, refreshToken }] = await Promise.all([
      settleSuccess(result.claim, lookup.user.id),
      rehashIfWeak(lookup.user, password),
      startSession(lookup.user, context.userAgent),
    ]);
    const token = await tokens.sign(lookup.user.id, sessionId);
    telemetry.record('success', { ...log, userId: lookup.user.id, sessionId, ...(rehashed && { rehashed }) });
    return { token, refreshToken, expiresIn: tokens.ttlSeconds, user: toSafeUser(lookup.user) };
  };
};
