import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { type Clock, systemClock } from '#lib/clock.ts';
import {
  PASSKEY_LIMIT_MESSAGE,
  PasskeyConflictError,
  PasskeyNotFoundError,
  PasskeyRegistrationError,
} from '#lib/errors.ts';
import type { UserItem } from '#lib/users/user.ts';

/** What a registration needs of its user (read as a profile: never the password hash). */
type RegisteringUser = Pick<UserItem, 'id' | 'username' | 'name'>;

import type { ChallengeStore } from './challenges.ts';
import { isCredentialId, type PasskeyView, toPasskeyView } from './passkey.ts';
import type { ParsedRegistration } from './request.ts';
import type { PasskeyStore } from './store.ts';
import { credentialRef, type PasskeyTelemetry } from './telemetry.ts';
import type { WebAuthn } from './webauthn.ts';

/** How many passkeys a user may have, and how recent a sign-in must be to add one. */
export interface PasskeyPolicy {
  maxPerUser: number;
  /** PASSKEY_FRESH_LOGIN_SECONDS: a session older than this cannot add a passkey. */
  freshSignInSeconds: number;
}

/**
 * True when the session started (by password or passkey) within the policy's window: only then may
 * its tokens add a passkey, so a token stolen later cannot add one for the thief.
 */
export const isFreshSignIn = (
  session: { createdAt: number },
  now: number,
  policy: Pick<PasskeyPolicy, 'freshSignInSeconds'>,
): boolean => now - session.createdAt <= policy.freshSignInSeconds * 1000;

export interface PasskeyManagementDependencies {
  passkeys: Pick<PasskeyStore, 'create' | 'listByUser' | 'remove'>;
  challenges: ChallengeStore;
  webauthn: WebAuthn;
  policy: PasskeyPolicy;
  telemetry: PasskeyTelemetry;
  clock?: Clock;
}

export interface PasskeyManagement {
  /** Options for `navigator.credentials.create`, excluding the user's passkeys; a 409 at the cap. */
  registrationOptions(user: RegisteringUser): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Verifies and stores a new passkey of the user, spending its challenge whatever the outcome. */
  register(user: RegisteringUser, request: ParsedRegistration): Promise<PasskeyView>;
  /** The user's passkeys, newest first. */
  list(userId: string): Promise<PasskeyView[]>;
  /** Deletes one of the user's passkeys; PasskeyNotFoundError for any other id. */
  remove(userId: string, id: string): Promise<void>;
}

/**
 * How many passkeys past the cap the list and the exclude list still read: those stored before
 * the count held the cap are shown to their owner (and can be deleted), within a bound.
 */
export const LIST_SLACK = 100;

/** The name a passkey gets when the registration names none. */
const defaultName = (at: number): string => `Passkey added ${new Date(at).toISOString().slice(0, 10)}`;

export const createPasskeyManagement = ({
  passkeys,
  challenges,
  webauthn,
  policy,
  telemetry,
  clock = systemClock,
}: PasskeyManagementDependencies): PasskeyManagement => {
  /** Every passkey a user has, even past the cap (stored before the count held it), within a bound. */
  const listAll = (userId: string) => passkeys.listByUser(userId, policy.maxPerUser + LIST_SLACK);

  return {
    async registrationOptions(user) {
      // The index lags a moment, so this only spares a ceremony that cannot be kept: the count decides.
      const existing = await listAll(user.id);
      if (existing.length >= policy.maxPerUser) throw new PasskeyConflictError(PASSKEY_LIMIT_MESSAGE);
      const challenge = await challenges.issue('registration', user.id);
      return webauthn.registrationOptions({
        challenge,
        userId: user.id,
        userName: user.username,
        userDisplayName: user.name,
        exclude: existing.map(({ id, transports }) => ({ id, transports })),
      });
    },

    async register(user, { response, challenge, name }) {
      // Spent first, whatever follows: a response can be tried once.
      if (!(await challenges.consume(challenge, 'registration', user.id))) throw new PasskeyRegistrationError();
      const verified = await webauthn.verifyRegistration(response, challenge);
      if (!verified || !isCredentialId(verified.credentialId)) throw new PasskeyRegistrationError();
      const now = clock().getTime();
      const passkey = {
        id: verified.credentialId,
        userId: user.id,
        name: name ?? defaultName(now),
        createdAt: now,
        backedUp: verified.backedUp,
        deviceType: verified.deviceType,
        transports: verified.transports,
        publicKey: verified.publicKey,
        counter: verified.counter,
      };
      // One transaction: the credential id not taken, and the user's count below the cap.
      const created = await passkeys.create(passkey, policy.maxPerUser);
      if (created === 'at_cap') throw new PasskeyConflictError(PASSKEY_LIMIT_MESSAGE);
      // A credential registered already (to anyone) is refused as any failed verification is, so
      // the answer tells no one that the credential id exists.
      if (created === 'exists') throw new PasskeyRegistrationError();
      telemetry.changed('registered', { userId: user.id, credentialRef: credentialRef(passkey.id) });
      return toPasskeyView(passkey);
    },

    async list(userId) {
      return (await listAll(userId)).map(toPasskeyView);
    },

    async remove(userId, id) {
      if (!isCredentialId(id) || !(await passkeys.remove(userId, id))) throw new PasskeyNotFoundError();
      telemetry.changed('deleted', { userId, credentialRef: credentialRef(id) });
    },
  };
};
