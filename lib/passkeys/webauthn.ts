import { createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { COSEALG, cose, decodeCredentialPublicKey, isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';
import { type AuthenticatorTransport, knownTransports } from './passkey.ts';

/** Who we are to authenticators and browsers (WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS). */
export interface RelyingParty {
  /** The domain passkeys are bound to (`movieknight.site`, `localhost`). */
  id: string;
  /** What the authenticator shows the user. */
  name: string;
  /** The origins whose ceremonies are accepted, exactly. */
  origins: string[];
}

/**
 * The algorithms we accept, and offer in this order: EdDSA, ES256, RS256 (what platform and
 * roaming authenticators use). Pinned, not the library's default list, which grows with it.
 */
export const PASSKEY_ALGORITHMS: readonly number[] = [COSEALG.EdDSA, COSEALG.ES256, COSEALG.RS256];

/** The smallest RSA modulus we accept (NIST SP 800-131A: below 2048 bits is disallowed). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** Bytes as the library's helpers take them. */
type Bytes = Parameters<typeof isoBase64URL.fromBuffer>[0];

const fromBytes = (value: Bytes | undefined): string | undefined =>
  value instanceof Uint8Array ? isoBase64URL.fromBuffer(value) : undefined;

/**
 * The credential public key as a JWK, only for the pairs we accept: ES256 on P-256 (crv 1), EdDSA
 * on Ed25519 (crv 6), RS256 on an RSA key. The library's own decoding and COSE helpers.
 */
const acceptedJwk = (publicKey: Bytes): JsonWebKey | undefined => {
  const key = decodeCredentialPublicKey(publicKey);
  const alg = key.get(cose.COSEKEYS.alg);
  if (alg === COSEALG.ES256 && cose.isCOSEPublicKeyEC2(key) && key.get(cose.COSEKEYS.crv) === cose.COSECRV.P256) {
    // A coordinate missing (undefined) is a JWK Node refuses to import.
    return { kty: 'EC', crv: 'P-256', x: fromBytes(key.get(cose.COSEKEYS.x)), y: fromBytes(key.get(cose.COSEKEYS.y)) };
  }
  if (alg === COSEALG.EdDSA && cose.isCOSEPublicKeyOKP(key) && key.get(cose.COSEKEYS.crv) === cose.COSECRV.ED25519) {
    return { kty: 'OKP', crv: 'Ed25519', x: fromBytes(key.get(cose.COSEKEYS.x)) };
  }
  if (alg === COSEALG.RS256 && cose.isCOSEPublicKeyRSA(key)) {
    return { kty: 'RSA', n: fromBytes(key.get(cose.COSEKEYS.n)), e: fromBytes(key.get(cose.COSEKEYS.e)) };
  }
  return undefined;
};

/**
 * True when a credential public key (COSE) is one we accept: an algorithm we pin on its own curve
 * (not an ES256 label on a P-384 key), an RSA modulus of at least 2048 bits, and a key Node
 * imports (an EC point on its curve, an Ed25519 key of its length). The library checks the
 * algorithm against our list but not the curve or the key itself.
 */
export const isAcceptedPublicKey = (publicKey: Bytes): boolean => {
  try {
    const jwk = acceptedJwk(publicKey);
    // Stryker disable next-line ConditionalExpression: equivalent, createPublicKey throws on an undefined key, and the catch answers false
    if (!jwk) return false;
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    // Stryker disable next-line OptionalChaining: equivalent, Node gives the details of every RSA key it imports
    return jwk.kty !== 'RSA' || (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_MODULUS_BITS;
  } catch {
    return false;
  }
};

/** How long a ceremony may take, and its challenge lives: a few minutes. */
export const CHALLENGE_TTL_SECONDS = 300;

/** What a verified registration gives us to store; nothing secret. */
export interface VerifiedRegistration {
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: AuthenticatorTransport[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
}

/** What a verified assertion says; `verified: false` for every way it can fail. */
export type VerifiedAssertion =
  | { verified: true; counter: number; backedUp: boolean; deviceType: 'singleDevice' | 'multiDevice' }
  | { verified: false };

/** The stored credential an assertion is checked against. */
export interface AssertionCredential {
  id: string;
  /** The COSE public key, base64url. */
  publicKey: string;
}

export interface WebAuthn {
  registrationOptions(options: {
    challenge: string;
    userId: string;
    userName: string;
    userDisplayName: string;
    exclude: { id: string; transports: string[] }[];
  }): Promise<PublicKeyCredentialCreationOptionsJSON>;
  verifyRegistration(response: RegistrationResponseJSON, challenge: string): Promise<VerifiedRegistration | undefined>;
  /** The same options for everyone but the challenge: no credentials named (usernameless, discoverable). */
  authenticationOptions(challenge: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /**
   * Verifies an assertion against `credential`, or, when there is none, against a fixed key of
   * our own that nothing can sign for: the same library work either way. The counter is not
   * judged here (see lib/passkeys/sign-in.ts), so a synced passkey's counter never fails it.
   */
  verifyAssertion(
    response: AuthenticationResponseJSON,
    challenge: string,
    credential: AssertionCredential | undefined,
  ): Promise<VerifiedAssertion>;
}

/** A P-256 public key (COSE, as authenticators send it) whose private half is thrown away at once. */
const dummyPublicKey = (): ReturnType<typeof isoCBOR.encode> => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Stryker disable next-line StringLiteral: equivalent, an EC public key's JWK always has x and y
  const { x = '', y = '' } = publicKey.export({ format: 'jwk' });
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [cose.COSEKEYS.kty, cose.COSEKTY.EC2],
      [cose.COSEKEYS.alg, COSEALG.ES256],
      [cose.COSEKEYS.crv, cose.COSECRV.P256],
      [cose.COSEKEYS.x, isoBase64URL.toBuffer(x)],
      [cose.COSEKEYS.y, isoBase64URL.toBuffer(y)],
    ]),
  );
};

/** The WebAuthn ceremonies through `@simplewebauthn/server`, with our rules: UV required, attestation none. */
export const createWebAuthn = (party: RelyingParty): WebAuthn => {
  const dummy = dummyPublicKey();
  const algorithms = [...PASSKEY_ALGORITHMS];
  const timeout = CHALLENGE_TTL_SECONDS * 1000;
  return {
    registrationOptions: ({ challenge, userId, userName, userDisplayName, exclude }) =>
      generateRegistrationOptions({
        rpName: party.name,
        rpID: party.id,
        userID: new TextEncoder().encode(userId),
        userName,
        userDisplayName,
        challenge: isoBase64URL.toBuffer(challenge),
        timeout,
        attestationType: 'none',
        excludeCredentials: exclude,
        // The library sets requireResidentKey (true) from residentKey, as WebAuthn asks.
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        supportedAlgorithmIDs: algorithms,
      }),

    async verifyRegistration(response, challenge) {
      try {
        const { verified, registrationInfo } = await verifyRegistrationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: party.origins,
          expectedRPID: party.id,
          // The library's expected type is webauthn.create unless told; user presence is required unless told.
          requireUserPresence: true,
          requireUserVerification: true,
          supportedAlgorithmIDs: algorithms,
        });
        // Stryker disable next-line ConditionalExpression: equivalent, an unverified result has no registrationInfo, and reading it throws into the catch below
        if (!verified) return undefined;
        const { credential, credentialDeviceType, credentialBackedUp } = registrationInfo;
        if (!isAcceptedPublicKey(credential.publicKey)) return undefined;
        return {
          credentialId: credential.id,
          publicKey: isoBase64URL.fromBuffer(credential.publicKey),
          counter: credential.counter,
          // Stryker disable next-line ArrayDeclaration: equivalent, knownTransports drops every value it does not know
          transports: knownTransports(response.response.transports ?? []),
          deviceType: credentialDeviceType,
          backedUp: credentialBackedUp,
        };
      } catch {
        // The library's reasons stay here: no library message reaches a client.
        return undefined;
      }
    },

    authenticationOptions: (challenge) =>
      generateAuthenticationOptions({
        rpID: party.id,
        allowCredentials: [],
        challenge: isoBase64URL.toBuffer(challenge),
        timeout,
        userVerification: 'required',
      }),

    async verifyAssertion(response, challenge, credential) {
      const stored: WebAuthnCredential = {
        // The assertion's id is the one the passkey was read by; the library only hands it back.
        id: response.id,
        publicKey: credential ? isoBase64URL.toBuffer(credential.publicKey) : dummy,
        // 0: the library then never refuses a counter; the sign-in judges it, by the passkey's kind.
        counter: 0,
      };
      try {
        const { verified, authenticationInfo } = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: party.origins,
          expectedRPID: party.id,
          // The library's expected type is webauthn.get unless told.
          credential: stored,
          requireUserVerification: true,
        });
        // A key stored before the registration refused it (another curve, off its curve) signs
        // nobody in; checked for our own key too, so every attempt does the same work.
        const accepted = isAcceptedPublicKey(stored.publicKey);
        if (!verified || !credential || !accepted) return { verified: false };
        return {
          verified: true,
          counter: authenticationInfo.newCounter,
          backedUp: authenticationInfo.credentialBackedUp,
          deviceType: authenticationInfo.credentialDeviceType,
        };
      } catch {
        return { verified: false };
      }
    },
  };
};
