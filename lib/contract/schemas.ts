import * as v from 'valibot';
import { OAUTH_ERROR_CODES } from '#lib/http/oauth.ts';
import { PasskeyViewSchema } from '#lib/passkeys/passkey.ts';
import { LoginGrantSchema, TokenGrantSchema } from '#lib/sessions/grant.ts';
import { SessionViewSchema } from '#lib/sessions/manage.ts';
import { MAX_REFRESH_TOKEN_LENGTH } from '#lib/sessions/refresh-token.ts';
import { SafeUserSchema } from '#lib/users/user.ts';
import { successEnvelope } from './envelopes.ts';

/** The answer of a login and of a refresh: token, refresh token, lifetime, safe user. */
export const TokenGrantResponseSchema = successEnvelope(TokenGrantSchema);

/** The answer of a login: a token grant and the client's device token. */
export const LoginGrantResponseSchema = successEnvelope(LoginGrantSchema);

/** `{ ok: true, data: {} }`: done, nothing to tell (logout, logout everywhere, ending a session). */
export const DoneResponseSchema = successEnvelope(v.strictObject({}));

export const SessionsResponseSchema = successEnvelope(
  v.strictObject({ sessions: v.pipe(v.array(SessionViewSchema), v.description('Live sessions, newest first.')) }),
);

export const MeResponseSchema = successEnvelope(v.strictObject({ user: SafeUserSchema }));

const url = (description: string) => v.pipe(v.string(), v.url(), v.description(description));
const list = (description: string) => v.pipe(v.array(v.string()), v.description(description));

/** RFC 8414 section 2, what we publish of it (functions/well-known/create-handler.ts). */
export const AuthorizationServerMetadataSchema = v.strictObject({
  issuer: url('The `iss` of every access token.'),
  jwks_uri: url('The public keys that verify access tokens.'),
  token_endpoint: url('RFC 6749 token endpoint: the refresh grant.'),
  revocation_endpoint: url("RFC 7009 revocation endpoint: ends a refresh token's session."),
  grant_types_supported: list('`refresh_token` only: a login is `POST /api/auth/login`.'),
  response_types_supported: list('Empty: there is no authorization endpoint.'),
  token_endpoint_auth_methods_supported: list('`none`: public clients, identified by `client_id`.'),
  revocation_endpoint_auth_methods_supported: list('`none`, as for the token endpoint.'),
  access_token_audience: v.pipe(v.string(), v.description('The `aud` of every access token (not an RFC 8414 field).')),
});

/** RFC 6749 section 5.1: the token endpoint's answer. */
export const TokenResponseSchema = v.strictObject({
  access_token: v.pipe(v.string(), v.description('An RS256 JWT access token (RFC 9068), as `token` of a login.')),
  token_type: v.pipe(v.literal('Bearer'), v.description('Send it as `Authorization: Bearer`.')),
  expires_in: v.pipe(v.number(), v.integer(), v.minValue(1), v.description('Seconds until `access_token` expires.')),
  refresh_token: v.pipe(
    v.string(),
    v.maxLength(MAX_REFRESH_TOKEN_LENGTH),
    v.description('The next refresh token; the one presented is spent (rotation).'),
  ),
});

/** RFC 6749 section 5.2 (and RFC 7009 section 2.2.1), in our envelope: `error` is the standard's code. */
export const OAuthErrorSchema = v.strictObject({
  ok: v.literal(false),
  error: v.pipe(v.picklist(OAUTH_ERROR_CODES), v.description('The RFC 6749 error code.')),
  error_description: v.pipe(v.string(), v.description('What went wrong, for a person to read.')),
  code: v.pipe(v.picklist(OAUTH_ERROR_CODES), v.description('The same code as `error`, as on every error answer.')),
});

/** `openapi.json` itself: the contract says only that it is an OpenAPI document. */
export const OpenApiDocumentSchema = v.pipe(v.looseObject({ openapi: v.string() }));

const Base64Url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]*$/));

const CredentialDescriptorSchema = v.strictObject({
  id: Base64Url,
  type: v.literal('public-key'),
  transports: v.optional(v.array(v.string())),
});

/**
 * `PublicKeyCredentialCreationOptionsJSON` as we make it (WebAuthn Level 3 JSON form, what
 * `@simplewebauthn/browser`'s `startRegistration({ optionsJSON })` takes).
 */
export const PasskeyCreationOptionsSchema = v.strictObject({
  challenge: v.pipe(Base64Url, v.description('Single use, valid for a few minutes.')),
  rp: v.strictObject({ name: v.string(), id: v.string() }),
  user: v.strictObject({
    id: v.pipe(Base64Url, v.description('The user handle: opaque, no email or username in it.')),
    name: v.string(),
    displayName: v.string(),
  }),
  pubKeyCredParams: v.pipe(
    v.array(v.strictObject({ alg: v.number(), type: v.literal('public-key') })),
    v.description('EdDSA (-8), ES256 (-7), RS256 (-257): nothing else is accepted.'),
  ),
  timeout: v.number(),
  attestation: v.literal('none'),
  excludeCredentials: v.pipe(v.array(CredentialDescriptorSchema), v.description("The user's own passkeys.")),
  authenticatorSelection: v.strictObject({
    residentKey: v.literal('required'),
    requireResidentKey: v.literal(true),
    userVerification: v.literal('required'),
  }),
  extensions: v.optional(v.looseObject({})),
  hints: v.optional(v.array(v.string())),
});

/** `PublicKeyCredentialRequestOptionsJSON` as we make it: no credentials named, user verification required. */
export const PasskeyRequestOptionsSchema = v.strictObject({
  rpId: v.string(),
  challenge: v.pipe(Base64Url, v.description('Single use, valid for a few minutes.')),
  allowCredentials: v.pipe(
    v.array(CredentialDescriptorSchema),
    v.maxLength(0),
    v.description('Always empty: the browser offers the passkeys it has for this site (usernameless).'),
  ),
  timeout: v.number(),
  userVerification: v.literal('required'),
  extensions: v.optional(v.looseObject({})),
});

export const PasskeyCreationOptionsResponseSchema = successEnvelope(PasskeyCreationOptionsSchema);
export const PasskeyRequestOptionsResponseSchema = successEnvelope(PasskeyRequestOptionsSchema);
export const PasskeyResponseSchema = successEnvelope(v.strictObject({ passkey: PasskeyViewSchema }));
export const PasskeysResponseSchema = successEnvelope(
  v.strictObject({ passkeys: v.pipe(v.array(PasskeyViewSchema), v.description('Newest first.')) }),
);
