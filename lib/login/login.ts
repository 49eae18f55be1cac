import { InvalidCredentialsError, TooManyAttemptsError } from '#lib/errors.ts';
import type { SessionControl } from '#lib/sessions/control.ts';
import type { DeviceTokens } from '#lib/sessions/device-token.ts';
import { createGrantAnswer, type LoginGrant } from '#lib/sessions/grant.ts';
import type { StartSession } from '#lib/sessions/start.ts';
import type { TokenSigner } from '#lib/tokens/signer.ts';
import type { UserIdentifier } from '#lib/users/identifier.ts';
import type { PasswordVerifier } from '#lib/users/passwords.ts';
import type { UserLookup, UserStore } from '#lib/users/store.ts';
import type { UserItem } from '#lib/users/user.ts';
import type { AccountCap } from './account-cap.ts';
import type { LoginAttempts } from './attempts.ts';
import type { DeviceBudgets } from './device-budget.ts';
import type { IdentifierHash } from './identifier-hash.ts';
import type { LoginRequest } from './request.ts';
import type { LoginOutcome, LoginTelemetry } from './telemetry.ts';

export interface LoginDependencies {
  users: UserStore;
  attempts: LoginAttempts;
  devices: DeviceBudgets;
  accountCap: AccountCap;
  deviceTokens: DeviceTokens;
  identifierHash: IdentifierHash;
  passwords: PasswordVerifier;
  tokens: TokenSigner;
  startSession: StartSession;
  /** The global session epoch, read on every login beside the lookup: the new session records it. */
  control: SessionControl;
  telemetry: LoginTelemetry;
  /** The Retry-After of an account past its cap (the longest lock: the cap itself has no end). */
  cappedRetryAfterSeconds: number;
}

/** The token grant of a new session (see TokenGrantSchema) and the device token of this client. */
export type LoginResult = LoginGrant;

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

/** The user's identifier that was not presented: failures count on the account's every identifier. */
const otherIdentifier = (user: UserItem, presented: UserIdentifier): UserIdentifier =>
  presented.kind === 'email'
    ? // Stryker disable next-line StringLiteral: equivalent, identifierHash hashes every kind but 'email' as a username
      { kind: 'username', username: user.username }
    : { kind: 'email', email: user.emailLower };

/** True when every result is fulfilled, each then typed as such. */
const allFulfilled = <T extends readonly PromiseSettledResult<unknown>[]>(
  results: T,
): results is { [K in keyof T]: Extract<T[K], PromiseFulfilledResult<unknown>> } =>
  results.every((result) => result.status === 'fulfilled');

/** The reason of the first rejected result: called only when one is (see allFulfilled). */
const firstRejection = (results: readonly PromiseSettledResult<unknown>[]): unknown =>
  (results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason;

/**
 * The login use case. Three budgets decide whether a password is checked at all (see
 * docs/security.md):
 *
 * - a **trusted device** (a valid device token of the account the identifier names) is judged on
 *   its own budget only (lib/login/device-budget.ts), so an attacker holding the identifier
 *   locked does not keep its owner out;
 * - anyone else is judged on the **identifier**'s budget (lib/login/attempts.ts), and on the
 *   **account**'s long-memory cap (lib/login/account-cap.ts).
 *
 * Every claim is one conditional write made before bcrypt, and all of them, with the user lookup,
 * the cap's read and the global session epoch's (the new session records it, and a device token
 * must be of it), go out at once, for every request alike: whether a device token is valid
 * is known only once the user is found. A device token that is missing, malformed, forged,
 * expired, ended or another account's makes the same calls and gets the same answers as none.
 * A success forgets failures only on the budget it was judged on: an untrusted success leaves
 * the identifier and the account as they were, so what an untrusted client sees never depends
 * on whether the owner signed in. Every other failure (unknown identifier, wrong password, a
 * disabled user, several matches, an unusable record) costs one bcrypt compare, one counted
 * failure and the same InvalidCredentialsError.
 */
export const createLogin = ({
  users,
  attempts,
  devices,
  accountCap,
  deviceTokens,
  identifierHash,
  passwords,
  tokens,
  startSession,
  control,
  telemetry,
  cappedRetryAfterSeconds,
}: LoginDependencies): Login => {
  const answerGrant = createGrantAnswer({ tokens, deviceTokens });
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

  /** A failed compare, for the logs: a hash of a cost outside the accepted range was never compared (lib/users/passwords.ts). */
  const wrongPassword = (user: UserItem): LoginOutcome =>
    passwords.accepts(user.passwordHash) ? 'bad_password' : 'hash_cost_refused';

  /** Settling a budget after a success is best effort: the password was right, and a claim goes stale by itself. */
  const bestEffort = (message: string, userId: string) => (error: unknown) => {
    telemetry.warn(message, { userId, error });
  };

  /**
   * Starts the session from the item whose hash was compared. When that item moved on since the
   * index showed it, it is read once more, consistently: if it still holds the compared hash and
   * is not disabled (only the epoch moved: a logout everywhere), the session starts in the new
   * epoch; otherwise the password that was checked is no longer the user's, and there is no session.
   */
  const startChecked = async (
    user: UserItem,
    globalEpoch: number,
    userAgent: string | undefined,
    clientId: string | undefined,
  ) => {
    const first = await startSession({ ...user, globalEpoch }, userAgent, { clientId });
    if (first.started) return { ...first, user, clientId };
    const current = await users.findById(user.id);
    if (current?.passwordHash !== user.passwordHash || current.disabledAt !== undefined) return undefined;
    const second = await startSession({ ...current, globalEpoch }, userAgent, { clientId });
    return second.started ? { ...second, user: current, clientId } : undefined;
  };

  return async ({ identifier, password, deviceToken, clientId }, context = {}) => {
    // Independent work, all started at once: the claims wait only for the keys they are made
    // under (local HMACs), and every claim is made before any bcrypt work.
    const keyed = identifierHash(identifier);
    const presented = deviceTokens.read(deviceToken);
    const settled = await Promise.allSettled([
      keyed.then((key) => attempts.claim(key)),
      presented.then((device) => devices.claim(device?.deviceId)),
      keyed.then((key) => accountCap.standing(key)),
      users.findByIdentifier(identifier),
      tokens.ready(),
      keyed,
      presented,
      control.globalEpoch(),
    ] as const);
    if (!allFulfilled(settled)) {
      // No password was checked: the claims go back uncounted (best effort; they go stale anyway).
      const granted = [settled[0], settled[1]].flatMap((result) =>
        result.status === 'fulfilled' && result.value.granted ? [result.value.claim] : [],
      );
      await Promise.all(granted.map((claim) => claim.release().catch(() => undefined)));
      throw firstRejection(settled);
    }
    const [claimed, deviceClaimed, standing, found, , hashed, device, global] = settled;
    const log = { identifierHash: hashed.value, identifierKind: identifier.kind };
    const lookup = selectUser(found.value);
    const user = lookup.user;

    const trustedDevice =
      // Stryker disable next-line ConditionalExpression: equivalent, without a device the device claim is never granted (its write goes to a key no device has)
      device.value !== undefined &&
      deviceClaimed.value.granted &&
      user !== undefined &&
      user.disabledAt === undefined &&
      (await deviceTokens.belongsTo(device.value, { ...user, globalEpoch: global.value }))
        ? { deviceId: device.value.deviceId, claim: deviceClaimed.value.claim }
        : undefined;
    // A device claim granted for a token that turned out not to be trusted here (another
    // account's, or ended) stays counted against that device: it was used for a guess.

    /**
     * The session starts only while the user item still holds the hash just compared (one
     * transaction): a password change between the index read and here leaves no session behind.
     * Settling the budget goes beside it, best effort (it never rejects): a password that was
     * right when compared is no guess, whether or not the session could start. Then the rehash
     * (after the start, whose check it would otherwise fail) and this client's device token, in
     * the session's epoch.
     */
    const signIn = async (user: UserItem, settle: Promise<unknown>, deviceId: string | undefined) => {
      const trusted = deviceId !== undefined;
      const [started] = await Promise.all([startChecked(user, global.value, context.userAgent, clientId), settle]);
      if (!started) {
        telemetry.record('password_changed', { ...log, userId: user.id, trusted });
        throw new InvalidCredentialsError();
      }
      const [rehashed, grant] = await Promise.all([
        rehashIfWeak(started.user, password),
        answerGrant(started, deviceId),
      ]);
      telemetry.record('success', {
        ...log,
        userId: user.id,
        sessionId: started.sessionId,
        trusted,
        ...(rehashed && { rehashed }),
      });
      return grant;
    };

    if (trustedDevice && user) {
      const { claim } = trustedDevice;
      // The identifier's budget plays no part: its claim goes back while bcrypt runs.
      const [matches] = await Promise.all([
        passwords.verify(password, user.passwordHash),
        claimed.value.granted ? claimed.value.claim.release().catch(() => undefined) : undefined,
      ]);
      if (!matches) {
        // The device's claim counted this failure already.
        telemetry.record(wrongPassword(user), { ...log, userId: user.id, trusted: true });
        throw new InvalidCredentialsError();
      }
      const settle = Promise.all([
        claim.succeed().catch(bestEffort('Device budget reset failed', user.id)),
        // A success from a trusted device starts the account's cap over.
        standing.value.failures > 0
          ? identifierHash(otherIdentifier(user, identifier))
              .then((other) => accountCap.reset([hashed.value, other]))
              .catch(bestEffort('Account cap reset failed', user.id))
          : undefined,
      ]);
      return signIn(user, settle, trustedDevice.deviceId);
    }

    const result = claimed.value;
    if (!result.granted) {
      // Locked and capped: the cap outlasts the lock, and a client that waits for the lock alone
      // would only be refused again.
      const retryAfterSeconds = standing.value.reached
        ? Math.max(result.retryAfterSeconds, cappedRetryAfterSeconds)
        : result.retryAfterSeconds;
      telemetry.record('throttled', { ...log, retryAfterSeconds });
      throw new TooManyAttemptsError(retryAfterSeconds);
    }
    if (standing.value.reached) {
      // No password is checked for an account past its cap: the claim goes back uncounted.
      await result.claim.release();
      telemetry.record('account_capped', { ...log, ...(user && { userId: user.id }) });
      throw new TooManyAttemptsError(cappedRetryAfterSeconds);
    }

    const [matches, otherKey] = await Promise.all([
      passwords.verify(password, user?.passwordHash),
      user ? identifierHash(otherIdentifier(user, identifier)) : undefined,
    ]);
    if (!user || !matches || user.disabledAt !== undefined) {
      const [, withinCap] = await Promise.all([result.claim.fail(), accountCap.count(hashed.value, otherKey)]);
      if (!withinCap) {
        // This failure went past the cap: it is not answered as one, and no later one will be.
        telemetry.record('account_capped', { ...log, ...(user && { userId: user.id }) });
        throw new TooManyAttemptsError(cappedRetryAfterSeconds);
      }
      if (!user) telemetry.record(lookup.outcome, log);
      else telemetry.record(matches ? 'disabled_user' : wrongPassword(user), { ...log, userId: user.id });
      throw new InvalidCredentialsError();
    }
    // Giving the claim back is all an untrusted success does: the failures counted on the
    // identifier and the account stay, so nobody can tell from them that the owner signed in.
    return signIn(user, result.claim.release().catch(bestEffort('Attempt release failed', user.id)), undefined);
  };
};
