import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import { parseAuthenticationRequest, parseOptionsRequest, parseRegistrationRequest } from '#lib/passkeys/request.ts';
import { createSoftwareAuthenticator } from '#test/support/authenticator.ts';
import { TEST_ORIGIN, TEST_RP_ID } from '#test/support/dynamodb.ts';
import { refusalOf } from '#test/support/refusal.ts';

const CHALLENGE = 'A'.repeat(43);
const ceremony = { challenge: CHALLENGE, origin: TEST_ORIGIN, rpId: TEST_RP_ID };
const json = (value: unknown) => isoBase64URL.fromBuffer(new TextEncoder().encode(JSON.stringify(value)));

describe('passkey request bodies', () => {
  it('take an assertion and name the challenge its client data carries, or none when that is not a string', () => {
    const assertion = createSoftwareAuthenticator().authenticate(ceremony);
    expect(parseAuthenticationRequest(assertion)).toStrictEqual({ response: assertion, challenge: CHALLENGE });
    const numbered = { ...assertion, response: { ...assertion.response, clientDataJSON: json({ challenge: 5 }) } };
    expect(parseAuthenticationRequest(numbered).challenge).toBe('');
    const notJson = { ...assertion, response: { ...assertion.response, clientDataJSON: 'bm90IGpzb24' } };
    expect(refusalOf(() => parseAuthenticationRequest(notJson))).toBe(
      'response.clientDataJSON must be base64url-encoded JSON',
    );
  });

  it('name a missing field as required, and say what is wrong with any other', () => {
    const { id, ...assertion } = createSoftwareAuthenticator().authenticate(ceremony);
    expect(refusalOf(() => parseAuthenticationRequest(assertion))).toBe('id is required');
    expect(refusalOf(() => parseAuthenticationRequest({ ...assertion, id: '' }))).toBe('id must not be empty');
    expect(refusalOf(() => parseAuthenticationRequest({ ...assertion, id, response: 'x' }))).toBe(
      'Invalid type: Expected Object but received "x"',
    );
    expect(refusalOf(() => parseAuthenticationRequest([]))).toBe('Request body must be a JSON object');
  });

  it('take a registration with its name, and refuse an attestation object that is not a CBOR map holding authData bytes', () => {
    const registration = createSoftwareAuthenticator().register({ ...ceremony, userHandle: 'dXNlcg' });
    expect(parseRegistrationRequest({ ...registration, name: ' Laptop ' })).toStrictEqual({
      response: { ...registration, clientExtensionResults: {} },
      challenge: CHALLENGE,
      name: 'Laptop',
    });
    const encode = (value: unknown) => isoBase64URL.fromBuffer(isoCBOR.encode(value as never));
    for (const attestationObject of [
      '_w',
      encode([1, 2]),
      encode(new Map([['fmt', 'none']])),
      encode(new Map([['authData', 'text']])),
    ]) {
      expect(
        refusalOf(() =>
          parseRegistrationRequest({ ...registration, response: { ...registration.response, attestationObject } }),
        ),
        attestationObject,
      ).toBe('response.attestationObject must be a CBOR attestation object');
    }
  });

  it('take no body, or an object, for options', () => {
    for (const body of [undefined, null, '', {}, { extra: 1 }]) expect(() => parseOptionsRequest(body)).not.toThrow();
    for (const body of ['x', [], 0])
      expect(refusalOf(() => parseOptionsRequest(body))).toBe('Request body must be a JSON object');
  });
});
