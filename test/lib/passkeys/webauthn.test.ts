import { randomBytes } from 'node:crypto';
import { COSEALG, cose, isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';
import { describe, expect, it, vi } from 'vitest';
import { createWebAuthn, isAcceptedPublicKey } from '#lib/passkeys/webauthn.ts';
import { createSoftwareAuthenticator, type SoftwareAuthenticatorOptions } from '#test/support/authenticator.ts';
import { TEST_ORIGIN, TEST_RP_ID } from '#test/support/dynamodb.ts';

const PARTY = { id: TEST_RP_ID, name: 'Movie Knight', origins: ['https://other.example.test', TEST_ORIGIN] };
const newChallenge = () => randomBytes(32).toString('base64url');
const ceremony = (challenge: string) => ({ challenge, origin: TEST_ORIGIN, rpId: TEST_RP_ID });
const { COSEKEYS, COSEKTY, COSECRV } = cose;

/** The COSE key of a new authenticator, with `overrides`, as bytes. */
const keyOf = (options: SoftwareAuthenticatorOptions = {}) =>
  isoBase64URL.toBuffer(createSoftwareAuthenticator(options).publicKey);

/** A COSE key of an authenticator with `remove` entries taken out. */
const without = (options: SoftwareAuthenticatorOptions, ...remove: number[]) => {
  const entries = isoCBOR.decodeFirst<Map<number, unknown>>(keyOf(options));
  for (const key of remove) entries.delete(key);
  return isoCBOR.encode(entries as never);
};

describe('WebAuthn registration options', () => {
  it('name us and the user, pin the algorithms, UV, a discoverable credential and attestation none', async () => {
    const webauthn = createWebAuthn(PARTY);
    const challenge = newChallenge();
    const options = await webauthn.registrationOptions({
      challenge,
      userId: 'user-1',
      userName: 'ann',
      userDisplayName: 'Ann A.',
      exclude: [{ id: 'AAAA', transports: ['usb'] }],
    });
    expect(options).toStrictEqual({
      challenge,
      rp: { name: 'Movie Knight', id: TEST_RP_ID },
      user: { id: isoBase64URL.fromBuffer(new TextEncoder().encode('user-1')), name: 'ann', displayName: 'Ann A.' },
      pubKeyCredParams: [
        { alg: COSEALG.EdDSA, type: 'public-key' },
        { alg: COSEALG.ES256, type: 'public-key' },
        { alg: COSEALG.RS256, type: 'public-key' },
      ],
      timeout: 300_000,
      attestation: 'none',
      excludeCredentials: [{ id: 'AAAA', type: 'public-key', transports: ['usb'] }],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      extensions: { credProps: true },
      hints: [],
    });
  });
});

describe('WebAuthn registration', () => {
  it('gives what is stored of a device-bound passkey: its id, COSE key, counter, known transports and kind', async () => {
    const webauthn = createWebAuthn(PARTY);
    const authenticator = createSoftwareAuthenticator();
    authenticator.setCounter(7);
    const challenge = newChallenge();
    const response = authenticator.register({ ...ceremony(challenge), userHandle: 'dXNlcg' });
    response.response.transports = ['usb', 'cable', 'internal'] as never;
    expect(await webauthn.verifyRegistration(response, challenge)).toStrictEqual({
      credentialId: authenticator.id,
      publicKey: authenticator.publicKey,
      counter: 7,
      transports: ['usb', 'internal'],
      deviceType: 'singleDevice',
      backedUp: false,
    });
  });

  it('gives a synced passkey as multiDevice and backed up, no transports when the client names none, and takes a valid self attestation', async () => {
    const webauthn = createWebAuthn(PARTY);
    const authenticator = createSoftwareAuthenticator({ synced: true, alg: 'EdDSA' });
    const challenge = newChallenge();
    const response = authenticator.register({ ...ceremony(challenge), userHandle: 'dXNlcg', attestation: 'packed' });
    delete response.response.transports;
    expect(await webauthn.verifyRegistration(response, challenge)).toStrictEqual({
      credentialId: authenticator.id,
      publicKey: authenticator.publicKey,
      counter: 0,
      transports: [],
      deviceType: 'multiDevice',
      backedUp: true,
    });
  });

  it('refuses a ceremony without user presence or verification, of another type, origin, RP ID or challenge, or a forged attestation', async () => {
    const webauthn = createWebAuthn(PARTY);
    const challenge = newChallenge();
    const cases = {
      'no user presence': { noUserPresence: true },
      'no user verification': { noUserVerification: true },
      'a sign-in ceremony': { type: 'webauthn.get' },
      'another origin': { origin: 'https://evil.example' },
      'another RP ID': { rpId: 'evil.example' },
      'another challenge': { challenge: newChallenge() },
      'a forged self attestation': { attestation: 'forged' as const },
    };
    for (const [kind, overrides] of Object.entries(cases)) {
      const response = createSoftwareAuthenticator().register({
        ...ceremony(challenge),
        userHandle: 'dXNlcg',
        ...overrides,
      });
      expect(await webauthn.verifyRegistration(response, challenge), kind).toBeUndefined();
    }
  });

  it('refuses a key the library takes but we do not pin: another key type under an accepted label', async () => {
    const webauthn = createWebAuthn(PARTY);
    const cases: Record<string, SoftwareAuthenticatorOptions> = {
      'a P-256 key labelled EdDSA': { coseOverrides: [[COSEKEYS.alg, COSEALG.EdDSA]] },
      'a P-256 key under kty OKP': { coseOverrides: [[COSEKEYS.kty, COSEKTY.OKP]] },
      'an Ed25519 key under kty EC2': { alg: 'EdDSA', coseOverrides: [[COSEKEYS.kty, COSEKTY.EC2]] },
      'an RSA key labelled ES256': { alg: 'RS256', coseOverrides: [[COSEKEYS.alg, COSEALG.ES256]] },
      'an RSA key labelled EdDSA': { alg: 'RS256', coseOverrides: [[COSEKEYS.alg, COSEALG.EdDSA]] },
    };
    for (const [kind, options] of Object.entries(cases)) {
      const challenge = newChallenge();
      const response = createSoftwareAuthenticator(options).register({ ...ceremony(challenge), userHandle: 'dXNlcg' });
      expect(await webauthn.verifyRegistration(response, challenge), kind).toBeUndefined();
    }
  });
});

describe('isAcceptedPublicKey', () => {
  it('accepts EdDSA on Ed25519, ES256 on P-256 and RS256 from 2048 bits', () => {
    expect(isAcceptedPublicKey(keyOf({ alg: 'EdDSA' }))).toBe(true);
    expect(isAcceptedPublicKey(keyOf())).toBe(true);
    expect(isAcceptedPublicKey(keyOf({ alg: 'RS256', rsaBits: 2048 }))).toBe(true);
  });

  it('refuses a key missing a coordinate, a modulus or an exponent, or with one that is not bytes, or not a key at all', () => {
    const cases = {
      'ES256 without x': without({}, COSEKEYS.x),
      'ES256 without y': without({}, COSEKEYS.y),
      'EdDSA without x': without({ alg: 'EdDSA' }, COSEKEYS.x),
      'RS256 without n': without({ alg: 'RS256' }, COSEKEYS.n),
      'RS256 without e': without({ alg: 'RS256' }, COSEKEYS.e),
      'ES256 with y a number': keyOf({ coseOverrides: [[COSEKEYS.y, 5]] }),
      'EdDSA with x a number': keyOf({ alg: 'EdDSA', coseOverrides: [[COSEKEYS.x, 5]] }),
      'RS256 with n a number': keyOf({ alg: 'RS256', coseOverrides: [[COSEKEYS.n, 5]] }),
      'an ES384 key': keyOf({ alg: 'ES384' }),
      'an Ed25519 key labelled ES256': keyOf({ alg: 'EdDSA', coseOverrides: [[COSEKEYS.alg, COSEALG.ES256]] }),
      'an Ed25519 key labelled RS256': keyOf({ alg: 'EdDSA', coseOverrides: [[COSEKEYS.alg, COSEALG.RS256]] }),
      'an EdDSA label on X25519': keyOf({ alg: 'EdDSA', coseOverrides: [[COSEKEYS.crv, 4]] }),
      'a P-256 point under crv P-384': keyOf({ coseOverrides: [[COSEKEYS.crv, COSECRV.P384]] }),
      'RS256 of 1024 bits': keyOf({ alg: 'RS256', rsaBits: 1024 }),
      'not CBOR': new Uint8Array([0xff, 0x00]),
    };
    for (const [kind, key] of Object.entries(cases)) expect(isAcceptedPublicKey(key), kind).toBe(false);
  });
});

describe('WebAuthn sign-in', () => {
  it('gives usernameless options: our RP ID, no credentials, UV required, the challenge and its time', async () => {
    const webauthn = createWebAuthn(PARTY);
    const challenge = newChallenge();
    expect(await webauthn.authenticationOptions(challenge)).toStrictEqual({
      rpId: TEST_RP_ID,
      challenge,
      allowCredentials: [],
      timeout: 300_000,
      userVerification: 'required',
      extensions: undefined,
    });
  });

  it('verifies an assertion of the stored key, with its counter and backup state, whatever the stored counter', async () => {
    const webauthn = createWebAuthn(PARTY);
    for (const synced of [false, true]) {
      const authenticator = createSoftwareAuthenticator({ synced });
      authenticator.setCounter(41);
      const challenge = newChallenge();
      const response = authenticator.authenticate(ceremony(challenge));
      expect(
        await webauthn.verifyAssertion(response, challenge, {
          id: authenticator.id,
          publicKey: authenticator.publicKey,
        }),
      ).toStrictEqual({
        verified: true,
        counter: synced ? 41 : 42,
        backedUp: synced,
        deviceType: synced ? 'multiDevice' : 'singleDevice',
      });
    }
  });

  it('checks the signature of an assertion without a credential against a key of its own: the same work as with one', async () => {
    const webauthn = createWebAuthn(PARTY);
    const verify = vi.spyOn(globalThis.crypto.subtle, 'verify');
    try {
      const authenticator = createSoftwareAuthenticator();
      for (const credential of [
        undefined,
        { id: authenticator.id, publicKey: createSoftwareAuthenticator().publicKey },
      ]) {
        verify.mockClear();
        const challenge = newChallenge();
        const response = authenticator.authenticate(ceremony(challenge));
        expect(await webauthn.verifyAssertion(response, challenge, credential)).toStrictEqual({ verified: false });
        expect(verify).toHaveBeenCalledTimes(1);
        expect(verify.mock.calls[0]?.[0]).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
      }
    } finally {
      verify.mockRestore();
    }
  });

  it('refuses another key, no credential, a key we do not pin, and a ceremony the library refuses, all alike', async () => {
    const webauthn = createWebAuthn(PARTY);
    const authenticator = createSoftwareAuthenticator();
    const stored = { id: authenticator.id, publicKey: authenticator.publicKey };
    const mislabelled = createSoftwareAuthenticator({
      alg: 'ES384',
      coseOverrides: [[COSEKEYS.alg, COSEALG.ES256]],
      signHash: 'sha256',
    });
    const cases = {
      'another key': [authenticator, { ...stored, publicKey: createSoftwareAuthenticator().publicKey }, {}],
      'no credential': [authenticator, undefined, {}],
      'a key we do not pin': [mislabelled, { id: mislabelled.id, publicKey: mislabelled.publicKey }, {}],
      'another origin': [authenticator, stored, { origin: 'https://evil.example' }],
      'no user verification': [authenticator, stored, { noUserVerification: true }],
      'a registration ceremony': [authenticator, stored, { type: 'webauthn.create' }],
      'another RP ID': [authenticator, stored, { rpId: 'evil.example' }],
    } as const;
    for (const [kind, [from, credential, overrides]] of Object.entries(cases)) {
      const challenge = newChallenge();
      const response = from.authenticate({ ...ceremony(challenge), ...overrides });
      expect(await webauthn.verifyAssertion(response, challenge, credential), kind).toStrictEqual({ verified: false });
    }
    const challenge = newChallenge();
    const response = authenticator.authenticate(ceremony(challenge));
    expect(await webauthn.verifyAssertion(response, newChallenge(), stored), 'another challenge').toStrictEqual({
      verified: false,
    });
  });
});
