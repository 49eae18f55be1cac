import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { decodeAttestationObject, decodeClientDataJSON, isoBase64URL } from '@simplewebauthn/server/helpers';
import * as v from 'valibot';
import { BadRequestError } from '#lib/errors.ts';
import { jsonObjectBody } from '#lib/json-body.ts';
import { BASE64URL_PATTERN, knownTransports, MAX_CREDENTIAL_ID_LENGTH, MAX_PASSKEY_NAME_LENGTH } from './passkey.ts';

/**
 * The shapes of WebAuthn's JSON forms (`RegistrationResponseJSON`, `AuthenticationResponseJSON`,
 * as `@simplewebauthn/browser` makes them), checked at the boundary: every binary value unpadded
 * base64url within a bound, a credential id no longer than WebAuthn allows. A body of the wrong
 * shape is a 400 naming the field; what the shape cannot tell (a signature, an origin) is for the
 * verification to refuse.
 */

/** Bounds on each value, far above what authenticators send, well under the body limit. */
const MAX_CLIENT_DATA_LENGTH = 2048;
const MAX_AUTHENTICATOR_DATA_LENGTH = 4096;
const MAX_SIGNATURE_LENGTH = 1024;
const MAX_USER_HANDLE_LENGTH = 128;

const base64url = (field: string, maxLength: number) =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.nonEmpty(`${field} must not be empty`),
    v.maxLength(maxLength, `${field} must be at most ${maxLength} characters`),
    v.regex(BASE64URL_PATTERN, `${field} must be base64url`),
  );

const credentialId = (field: string) => base64url(field, MAX_CREDENTIAL_ID_LENGTH);

/** Transports read at most: more than WebAuthn has, for values it may add (which are dropped). */
const MAX_TRANSPORTS = 16;

/**
 * A passkey's name holds no control characters (C0 and C1), no format characters (zero widths,
 * bidi overrides and isolates, the soft hyphen) and no line or paragraph separator. Refused, not
 * stripped: a name is what the user typed, and changing it silently would show them another.
 */
const NAME_PATTERN = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u;

const common = {
  id: credentialId('id'),
  rawId: credentialId('rawId'),
  type: v.literal('public-key', 'type must be "public-key"'),
  authenticatorAttachment: v.optional(v.picklist(['platform', 'cross-platform'], 'authenticatorAttachment is unknown')),
  clientExtensionResults: v.optional(v.record(v.string(), v.unknown()), {}),
};

export const RegistrationRequestSchema = v.object({
  ...common,
  response: v.object({
    clientDataJSON: base64url('response.clientDataJSON', MAX_CLIENT_DATA_LENGTH),
    attestationObject: base64url('response.attestationObject', MAX_AUTHENTICATOR_DATA_LENGTH),
    authenticatorData: v.optional(base64url('response.authenticatorData', MAX_AUTHENTICATOR_DATA_LENGTH)),
    publicKey: v.optional(base64url('response.publicKey', MAX_AUTHENTICATOR_DATA_LENGTH)),
    publicKeyAlgorithm: v.optional(v.pipe(v.number('response.publicKeyAlgorithm must be a number'), v.integer())),
    transports: v.optional(
      v.pipe(
        v.array(v.string('response.transports must be strings')),
        v.maxLength(MAX_TRANSPORTS, 'response.transports has too many entries'),
        v.transform((transports: string[]) => knownTransports(transports)),
      ),
    ),
  }),
  name: v.optional(
    v.pipe(
      v.string('name must be a string'),
      v.trim(),
      v.nonEmpty('name must not be blank'),
      v.maxLength(MAX_PASSKEY_NAME_LENGTH, `name must be at most ${MAX_PASSKEY_NAME_LENGTH} characters`),
      v.regex(NAME_PATTERN, 'name must not contain control, format or separator characters'),
    ),
  ),
});

export const AuthenticationRequestSchema = v.object({
  ...common,
  response: v.object({
    clientDataJSON: base64url('response.clientDataJSON', MAX_CLIENT_DATA_LENGTH),
    authenticatorData: base64url('response.authenticatorData', MAX_AUTHENTICATOR_DATA_LENGTH),
    signature: base64url('response.signature', MAX_SIGNATURE_LENGTH),
    userHandle: v.optional(base64url('response.userHandle', MAX_USER_HANDLE_LENGTH)),
  }),
});

/** The body of an options request: an empty object (extra keys are ignored), or no body at all. */
export const OptionsRequestSchema = v.object({});

const parse = <TSchema extends v.GenericSchema>(schema: TSchema, body: unknown): v.InferOutput<TSchema> => {
  jsonObjectBody(body);
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, the message is the first issue's, the same whether a pipe stops at it or goes on
  const result = v.safeParse(schema, body, { abortPipeEarly: true });
  if (!result.success) {
    const [issue] = result.issues;
    // A missing field says which; every other message says what is wrong with the field.
    const path = v.getDotPath(issue);
    throw new BadRequestError(issue.input === undefined && path ? `${path} is required` : issue.message);
  }
  return result.output;
};

/** The challenge the client data names; a 400 when the client data is not base64url JSON. */
const challengeOf = (clientDataJSON: string): string => {
  try {
    const { challenge } = decodeClientDataJSON(clientDataJSON);
    return typeof challenge === 'string' ? challenge : '';
  } catch {
    throw new BadRequestError('response.clientDataJSON must be base64url-encoded JSON');
  }
};

export interface ParsedRegistration {
  response: RegistrationResponseJSON;
  challenge: string;
  name: string | undefined;
}

/** A registration response of the right shape (its attestation object CBOR that parses), or a 400. */
export const parseRegistrationRequest = (body: unknown): ParsedRegistration => {
  const { name, ...response } = parse(RegistrationRequestSchema, body);
  let attestation: unknown;
  try {
    attestation = decodeAttestationObject(isoBase64URL.toBuffer(response.response.attestationObject));
  } catch {
    // Not CBOR: the attestation stays undefined, and is refused below.
  }
  if (!(attestation instanceof Map) || !(attestation.get('authData') instanceof Uint8Array)) {
    throw new BadRequestError('response.attestationObject must be a CBOR attestation object');
  }
  return {
    response: response as RegistrationResponseJSON,
    challenge: challengeOf(response.response.clientDataJSON),
    name,
  };
};

export interface ParsedAuthentication {
  response: AuthenticationResponseJSON;
  challenge: string;
}

/** An authentication response of the right shape, or a 400; says nothing of whether it verifies. */
export const parseAuthenticationRequest = (body: unknown): ParsedAuthentication => {
  const response = parse(AuthenticationRequestSchema, body);
  return { response: response as AuthenticationResponseJSON, challenge: challengeOf(response.response.clientDataJSON) };
};

/** An options request: no body, or a JSON object. */
export const parseOptionsRequest = (body: unknown): void => {
  if (body === null || body === undefined || body === '') return;
  parse(OptionsRequestSchema, body);
};
