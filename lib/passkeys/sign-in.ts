import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { type Clock, systemClock } from '#lib/clock.ts';
import { InvalidPasskeyError } from '#lib/errors.ts';
import type { SessionControl } from '#lib/sessions/control.ts';
import type { AnswerGrant, LoginGrant } from '#lib/sessions/grant.ts';
import type { StartSession } from '#lib/sessions/start.ts';
import type { TokenSigner } from '#lib/tokens/signer.ts';
import type { UserStore } from '#lib/users/store.ts';
import { newUserId, type UserItem } from '#lib/users/user.ts';
import type { ChallengeStore } from './challenges.ts';
import type { PasskeyItem } from './passkey.ts';
import type { ParsedAuthentication } from './request.ts';
import type { PasskeyStore } from './store.ts';
import { credentialRef, type PasskeySignInOutcome, type PasskeyTelemetry } from './telemetry.ts';
import type { WebAuthn } from './webauthn.ts';

/** A key no passkey can have (not base64url): the write a failed sign-in makes costs what a real one does, and changes nothing. */
const NO_PASSKEY = '~none';

export interface PasskeySignInDependencies {
  passkeys: Pick<PasskeyStore, 'get' | 'recordUse'>;
  challenges: ChallengeStore;
  users: Pick<UserStore, 'findById'>;
  webauthn: WebAuthn;
  /** The login's session start: one transaction, only while the user item is as read (its epoch). */
  startSession: StartSession;
  /** The global session epoch, read in the first round of every attempt: the new session records it. */
  control: SessionControl;
  /** The login's answer: tokens, the safe user and a device token. */
  answerGrant: AnswerGrant;
  /** Awaited before any verdict, so an unreadable signing key is a 503 for every attempt alike. */
  tokens: Pick<TokenSigner, 'ready'>;
  telemetry: PasskeyTelemetry;
  clock?: Clock;
}

export interface PasskeySignIn {
  /** Options for `navigator.credentials.get`: the same for everyone but their fresh challenge. */
  options(): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** The grant of a new session, as a password login's; InvalidPasskeyError for every failure. */
  signIn(request: ParsedAuthentication, context?: { userAgent?: string | undefined }): Promise<LoginGrant>;
}

/** The user handle we register (the user id, UTF-8), as an assertion carries it: base64url. */
const userHandleOf = (userId: string): string => isoBase64URL.fromBuffer(new TextEncoder().encode(userId));

/**
 * Usernameless passkey sign-in. Every attempt does the same work before its verdict: the
 * challenge's conditional delete and the passkey's read at once, then the user's read (of an id
 * nobody has when there is no passkey) beside the signature check (against a key of our own when
 * there is no passkey), then one conditional write on the passkey (on a key nobody has when the
 * attempt failed). Only a success then starts a session.
 *
 * The assertion must carry the passkey's user handle, and the backup eligibility it was registered
 * with (its `deviceType`).
 *
 * Counters: a device-bound passkey's counter must rise (a counter that does not is refused, as a
 * possible clone); a synced passkey's counter may stay at 0 or move any way, which is logged and
 * never refused (the lockouts other services have had).
 */
export const createPasskeySignIn = ({
  passkeys,
  challenges,
  users,
  webauthn,
  startSession,
  control,
  answerGrant,
  tokens,
  telemetry,
  clock = systemClock,
}: PasskeySignInDependencies): PasskeySignIn => ({
  async options() {
    return webauthn.authenticationOptions(await challenges.issue('authentication'));
  },

  async signIn({ response, challenge }, context = {}) {
    const [consumed, found, , globalEpoch] = await Promise.all([
      challenges.consume(challenge, 'authentication'),
      passkeys.get(response.id),
      tokens.ready(),
      control.globalEpoch(),
    ]);
    const passkey = found && response.rawId === response.id ? found : undefined;
    const [user, assertion] = await Promise.all([
      users.findById(passkey?.userId ?? newUserId()),
      webauthn.verifyAssertion(response, challenge, passkey),
    ]);
    const log: Record<string, unknown> = { credentialRef: credentialRef(response.id) };

    let outcome: PasskeySignInOutcome = 'success';
    // Stryker disable next-line BooleanLiteral: equivalent, only a success's write can land (any other is on NO_PASSKEY), and a success sets it
    let counterMustRise = false;
    /** Set only by a success: the passkey and user it signs in, and what the assertion says. */
    let granted: { passkey: PasskeyItem; user: UserItem; counter: number; backedUp: boolean } | undefined;
    if (!consumed) outcome = 'challenge_refused';
    else if (!passkey) outcome = 'unknown_credential';
    else if (!assertion.verified) outcome = 'bad_assertion';
    // A discoverable credential's assertion names its user (WebAuthn L3 §7.2, identifying the
    // user): required, and it must be the passkey's.
    else if (response.response.userHandle === undefined) outcome = 'user_handle_missing';
    else if (response.response.userHandle !== userHandleOf(passkey.userId)) outcome = 'user_handle_mismatch';
    // Backup eligibility is fixed for a credential's life (§6.1.3, §7.2): a device-bound passkey
    // that says it can be synced, or a synced one that says it cannot, is not the one registered.
    else if (assertion.deviceType !== passkey.deviceType) outcome = 'backup_eligibility_changed';
    else if (!user) outcome = 'user_gone';
    else if (user.disabledAt !== undefined) outcome = 'user_disabled';
    else {
      const risen = assertion.counter > passkey.counter;
      const counted = assertion.counter > 0 || passkey.counter > 0;
      if (counted && !risen) {
        const details = { ...log, userId: passkey.userId, stored: passkey.counter, presented: assertion.counter };
        if (passkey.deviceType === 'singleDevice') {
          outcome = 'counter_regressed';
          Object.assign(log, details);
        } else telemetry.counterSignal(details);
      }
      counterMustRise = passkey.deviceType === 'singleDevice' && counted;
      if (outcome === 'success') granted = { passkey, user, counter: assertion.counter, backedUp: assertion.backedUp };
    }
    if (passkey) log.userId = passkey.userId;

    const recorded = await passkeys.recordUse(granted?.passkey.id ?? NO_PASSKEY, {
      counter: granted?.counter ?? 0,
      backedUp: granted?.backedUp ?? false,
      at: clock().getTime(),
      counterMustRise,
    });
    if (!granted) {
      telemetry.signIn(outcome, log);
      throw new InvalidPasskeyError();
    }
    if (!recorded) {
      // Deleted since it was read, or another sign-in with the same counter won the write.
      telemetry.signIn('passkey_gone', log);
      throw new InvalidPasskeyError();
    }
    // As a login's: in one transaction with a check that the user item is still the one read, so
    // a logout everywhere or a password change in between leaves no session of the old epoch.
    const started = await startSession({ ...granted.user, globalEpoch }, context.userAgent, { startedBy: 'passkey' });
    if (!started.started) {
      telemetry.signIn('user_changed', log);
      throw new InvalidPasskeyError();
    }
    // A new device: the passkey proved the user.
    const grant = await answerGrant({
      user: granted.user,
      sessionId: started.sessionId,
      refreshToken: started.refreshToken,
      globalEpoch: started.globalEpoch,
    });
    telemetry.signIn('success', { ...log, sessionId: started.sessionId });
    return grant;
  },
});
