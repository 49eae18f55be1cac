import { BadRequestError, InvalidCredentialsError, TooManyAttemptsError } from '#lib/errors.ts';
import type { DeviceTokens } from '#lib/sessions/device-token.ts';
import type { LoginGrant } from '#lib/sessions/grant.ts';
import type { StartSession } from '#lib/sessions/start.ts';
import type { TokenSigner } from '#lib/tokens/signer.ts';
import type { PasswordChecker } from '#lib/users/password-policy.ts';
import type { PasswordVerifier } from '#lib/users/passwords.ts';
import type { UserStore } from '#lib/users/store.ts';
import { toSafeUser, type UserItem } from '#lib/users/user.ts';
import type { AccountCap } from './account-cap.ts';
import type { LoginAttempts } from './attempts.ts';
import type { DeviceBudgets } from './device-budget.ts';
import type { IdentifierHash } from './identifier-hash.ts';
import type { PasswordChangeRequest } from './password-change-request.ts';
import type { PasswordChangeTelemetry } from './password-change-telemetry.ts';

export interface PasswordChangeDependencies {
  users: Pick<UserStore, 'findById'>;
  attempts: LoginAttempts;
  /** Budgets per device; the caller's session is judged as one (its own few failures). */
  devices: DeviceBudgets;
  accountCap: AccountCap;
  deviceTokens: DeviceTokens;
  identifierHash: IdentifierHash;
  passwords: PasswordVerifier;
  policy: PasswordChecker;
  tokens: TokenSigner;
  startSession: StartSession;
  telemetry: PasswordChangeTelemetry;
  /** The Retry-After of an account past its cap, as the login answers it. */
  cappedRetryAfterSeconds: number;
}

/** Who asks: the user item read (consistently) when their access token's session was found live. */
export interface PasswordChangeCaller {
  user: UserItem;
  sessionId: string;
  /**
   * The global session epoch of the caller's session, which was live, so the current one when the
   * check read it: the new session continues in it. Taken from the session, not read again, so that
   * an operator ending every session meanwhile leaves no live session behind.
   */
  globalEpoch: number;
  userAgent?: string | undefined;
  /** The registered client of the caller's session (its access token's `client_id`): the new session is that client's too. */
  clientId?: string | undefined;
}

/**
 * Changed: a new grant, as a login's, on the first session of the new epoch. Or the caller's
 * session ended while the change was under way (a logout everywhere, the session ended): the
 * caller gets the 401 of an ended session, and nothing changed.
 */
export type PasswordChangeResult = { changed: true; grant: LoginGrant } | { changed: false; reason: 'session_ended' };

export type ChangePassword = (
  caller: PasswordChangeCaller,
  request: PasswordChangeRequest,
) => Promise<PasswordChangeResult>;

/**
 * A signed-in user's password change. The current password is checked like a login's from an
 * untrusted client would be, with the same 401: a failure counts on the account's email and its cap
 * as a login's does. What lets the check happen is the caller's session's own budget (a few
 * failures) and the account's cap, not the email's lock, so an attacker holding the email locked
 * cannot stop the owner from changing their password, and a stolen access token is worth a few
 * guesses at most. The new password meets the policy
 * (lib/users/password-policy.ts): its length before any bcrypt work, the rest once the current
 * password is proved. Then ONE transaction replaces the hash only if it is still the one that was
 * checked, moves the epoch on (every session, the caller's included, ends) and starts the caller's
 * new session; nothing is written on any failure. The answer is a login's, with a new device
 * token in the new epoch (the caller's old one ended with every session).
 */
export const createPasswordChange = ({
  users,
  attempts,
  devices,
  accountCap,
  deviceTokens,
  identifierHash,
  passwords,
  policy,
  tokens,
  startSession,
  telemetry,
  cappedRetryAfterSeconds,
}: PasswordChangeDependencies): ChangePassword => {
  const refuse = (verdict: { rule: string; message: string }, details: Record<string, unknown>): never => {
    telemetry.record('rejected', { ...details, rule: verdict.rule });
    throw new BadRequestError(verdict.message);
  };

  return async ({ user, sessionId, globalEpoch, userAgent, clientId }, { currentPassword, newPassword }) => {
    const log = { userId: user.id, sessionId };
    const length = policy.checkLength(newPassword, 'newPassword');
    if (!length.ok) refuse(length, log);

    // The caller's session is judged on its own budget (a device's: a few failures, then it can
    // change no password), not on the email's lock, so an attacker who keeps the email locked does
    // not keep the owner from changing their password. A failure still counts on the email (when
    // its claim is granted) and on the account's cap, as a login's would: a stolen access token is
    // worth a few guesses, and feeds the same locks.
    const emailKey = identifierHash({ kind: 'email', email: user.emailLower });
    const [own, claimed, standing] = await Promise.all([
      devices.claim(`session:${sessionId}`),
      emailKey.then((key) => attempts.claim(key)),
      emailKey.then((key) => accountCap.standing(key)),
      tokens.ready(),
    ]);
    const emailClaim = claimed.granted ? claimed.claim : undefined;
    if (!own.granted || standing.reached) {
      await Promise.all([own.granted && own.claim.release(), emailClaim?.release()]);
      const capped = standing.reached;
      telemetry.record(capped ? 'account_capped' : 'throttled', log);
      throw new TooManyAttemptsError(cappedRetryAfterSeconds);
    }
    const { claim } = own;
    if (!(await passwords.verify(currentPassword, user.passwordHash))) {
      // The session's claim counted this failure already.
      // Stryker disable next-line StringLiteral: equivalent, identifierHash hashes every kind but 'email' as a username
      const usernameKey = identifierHash({ kind: 'username', username: user.username });
      const [, withinCap] = await Promise.all([
        emailClaim?.fail(),
        Promise.all([emailKey, usernameKey]).then(([email, username]) => accountCap.count(email, username)),
      ]);
      if (!withinCap) {
        telemetry.record('account_capped', log);
        throw new TooManyAttemptsError(cappedRetryAfterSeconds);
      }
      telemetry.record('bad_password', log);
      throw new InvalidCredentialsError();
    }

    // The current password is proved: whatever happens next is not a failed guess.
    try {
      if (newPassword === currentPassword) {
        refuse({ rule: 'unchanged', message: 'newPassword must differ from currentPassword' }, log);
      }
      const verdict = await policy.check(newPassword, user, 'newPassword');
      if (!verdict.ok) refuse(verdict, log);

      const newHash = await passwords.hash(newPassword);
      const started = await startSession({ ...user, globalEpoch }, userAgent, {
        change: { newHash, callerSessionId: sessionId },
        clientId,
      });
      if (!started.started) {
        // Someone else changed the password first (the one checked is no longer current: the
        // login's 401), or all sessions, or this one, ended meanwhile (the bearer 401).
        const current = started.reason === 'user_changed' ? await users.findById(user.id) : undefined;
        telemetry.record('raced', { ...log, reason: started.reason });
        if (current && current.passwordHash !== user.passwordHash) throw new InvalidCredentialsError();
        return { changed: false, reason: 'session_ended' };
      }
      const sessionEpoch = user.sessionEpoch + 1;
      const [token, device] = await Promise.all([
        tokens.sign(user.id, started.sessionId, clientId),
        deviceTokens.issue({ id: user.id, sessionEpoch, globalEpoch }),
      ]);
      telemetry.record('changed', { ...log, newSessionId: started.sessionId, sessionEpoch });
      return {
        changed: true,
        grant: {
          token,
          refreshToken: started.refreshToken,
          expiresIn: tokens.ttlSeconds,
          user: toSafeUser(user),
          deviceToken: device.token,
        },
      };
    } finally {
      // As after a login's success: the email's claim goes back and nothing is forgotten there;
      // the session's own failures are.
      const warn = (error: unknown) => telemetry.warn('Attempt settling failed', { ...log, error });
      await Promise.all([emailClaim?.release().catch(warn), claim.succeed().catch(warn)]);
    }
  };
};
