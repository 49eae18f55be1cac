import type * as v from 'valibot';
import {
  INVALID_CREDENTIALS_MESSAGE,
  INVALID_PASSKEY_MESSAGE,
  INVALID_REFRESH_TOKEN_MESSAGE,
  PASSKEY_LIMIT_MESSAGE,
  PASSKEY_NOT_FOUND_MESSAGE,
  PASSKEY_REGISTRATION_FAILED_MESSAGE,
  SESSION_NOT_FOUND_MESSAGE,
  TOO_MANY_ATTEMPTS_MESSAGE,
} from '#lib/errors.ts';
import { FRESH_SIGN_IN_REQUIRED_MESSAGE } from '#lib/http/bearer-auth.ts';
import { INVALID_GRANT_DESCRIPTION, RevocationRequestSchema, TokenRequestSchema } from '#lib/http/oauth.ts';
import { HTTP_PATHS, routeKey } from '#lib/http/routes.ts';
import { PasswordChangeRequestSchema } from '#lib/login/password-change-request.ts';
import { LoginRequestSchema } from '#lib/login/request.ts';
import { AuthenticationRequestSchema, OptionsRequestSchema, RegistrationRequestSchema } from '#lib/passkeys/request.ts';
import { RefreshRequestSchema } from '#lib/sessions/request.ts';
import { SETTINGS } from '#lib/settings.ts';
import { PublicJwksSchema } from '#lib/tokens/public-jwks.ts';
import {
  EXAMPLE_AUTHENTICATION_REQUEST,
  EXAMPLE_CLIENT_ID,
  EXAMPLE_CREATION_OPTIONS,
  EXAMPLE_CREDENTIAL_ID,
  EXAMPLE_DEVICE_TOKEN,
  EXAMPLE_GRANT,
  EXAMPLE_JWKS,
  EXAMPLE_LOGIN_REQUEST,
  EXAMPLE_METADATA,
  EXAMPLE_PASSKEY,
  EXAMPLE_REFRESH_TOKEN,
  EXAMPLE_REGISTRATION_REQUEST,
  EXAMPLE_REQUEST_OPTIONS,
  EXAMPLE_SESSION_ID,
  EXAMPLE_SESSIONS,
  EXAMPLE_USER,
} from './examples.ts';
import {
  BEARER_UNAUTHORIZED,
  done,
  error,
  INTERNAL,
  NO_STORE,
  publicDocument,
  type ResponseContract,
  UNAVAILABLE,
  UNNEEDED_BODY,
} from './responses.ts';
import {
  AuthorizationServerMetadataSchema,
  LoginGrantResponseSchema,
  MeResponseSchema,
  OAuthErrorSchema,
  OpenApiDocumentSchema,
  PasskeyCreationOptionsResponseSchema,
  PasskeyRequestOptionsResponseSchema,
  PasskeyResponseSchema,
  PasskeysResponseSchema,
  SessionsResponseSchema,
  TokenGrantResponseSchema,
  TokenResponseSchema,
} from './schemas.ts';

/**
 * The API contract in valibot: for each route of the route table (lib/http/routes.ts), its request
 * body and every status it answers, with the body schema and the headers that matter. `npm run
 * openapi` turns it into openapi.json; the contract tests validate every response the tests see
 * against that document. Adding a route is one entry in ROUTE_CONTRACTS.
 */

/** One route: what the OpenAPI document says of it beyond the method and path. */
export interface RouteContract {
  operationId: string;
  summary: string;
  description: string;
  tags: readonly string[];
  /** The bearer token in `Authorization`: required, or accepted instead of a body ('optional'). */
  bearerAuth?: boolean | 'optional';
  /** The route's `{name}` path segments. */
  pathParameters?: Readonly<Record<string, { description: string; example: string }>>;
  /** The body (JSON unless `form`); `required: false` when the route may be called without one. */
  requestBody?: { schema: v.GenericSchema; example: unknown; required?: boolean; form?: boolean };
  /** The route's own answers; the gateway's (GATEWAY_STATUS_CONTRACTS) are added to every route. */
  responses: Readonly<Record<number, ResponseContract>>;
}

/** How long a spent refresh token still answers with the new pair, unless a deployment sets otherwise. */
const REUSE_GRACE_SECONDS = SETTINGS.refreshReuseGraceSeconds.default;

/** An OAuth error answer (RFC 6749 section 5.2), never cached. */
const oauthError = (
  description: string,
  error: string,
  errorDescription: string,
  extra: Partial<ResponseContract> = {},
): ResponseContract => ({
  description,
  schema: OAuthErrorSchema,
  headers: NO_STORE,
  example: { ok: false, error, error_description: errorDescription, code: error },
  ...extra,
});

export const INVALID_CLIENT = oauthError(
  '`invalid_client`: no `client_id`, an unregistered one, or an attempt to authenticate (a client secret, an `Authorization` header: then `WWW-Authenticate` names its scheme).',
  'invalid_client',
  'Unknown client',
  { optionalHeaders: ['WWW-Authenticate'] },
);

/** The 401 of a route that needs a recent sign-in: a bad token, or a good one of a session too old. */
export const FRESH_BEARER_UNAUTHORIZED = error(
  `${BEARER_UNAUTHORIZED.description} Or the session started more than PASSKEY_FRESH_LOGIN_SECONDS (default ${SETTINGS.passkeyFreshLoginSeconds.default}) ago: sign in again (RFC 9470: error="insufficient_user_authentication", with max_age).`,
  { error: FRESH_SIGN_IN_REQUIRED_MESSAGE, code: 'insufficient_user_authentication' },
  { headers: [...NO_STORE, 'WWW-Authenticate'] },
);

const OPTIONS_BODY = { schema: OptionsRequestSchema, example: {}, required: false };

/** The cap's answer, at the registration's options and at the registration itself. */
export const PASSKEY_LIMIT = error('The user has as many passkeys as allowed (20).', {
  error: PASSKEY_LIMIT_MESSAGE,
  code: 'passkey_conflict',
});

export const OPTIONS_BAD_BODY = error('A body was sent and it is not a JSON object.', {
  error: 'Request body must be a JSON object',
  code: 'invalid_request',
});

/** One entry per route of HTTP_ROUTES, keyed by routeKey (`METHOD path`). */
/** The answer of a logout by refresh token and of its RFC 7009 encoding. */
export const SESSION_ENDED = done('The session is ended, or there was nothing to end.');

/** RFC 8414 metadata, at both well-known paths. */
export const METADATA = publicDocument('The metadata.', AuthorizationServerMetadataSchema, EXAMPLE_METADATA);

export const ROUTE_CONTRACTS: Readonly<Record<string, RouteContract>> = {
  [routeKey('POST', HTTP_PATHS.login)]: {
    operationId: 'login',
    summary: 'Login',
    description:
      "Verify credentials by email OR username and return an access token (JWT), the refresh token of a new session, and the safe user. An identifier with `@` is an email (case-insensitive); anything else is a username (case-sensitive). No Authorization header. A bad identifier and a bad password get the same 401. Send back the `deviceToken` of an earlier sign-in to this account: the login is then judged on this device's own failures, so an attacker who keeps the identifier locked does not keep its owner out.",
    tags: ['auth'],
    requestBody: {
      schema: LoginRequestSchema,
      example: { ...EXAMPLE_LOGIN_REQUEST, deviceToken: EXAMPLE_DEVICE_TOKEN },
    },
    responses: {
      200: {
        description:
          'The credentials match: a new session, its first refresh token, an access token, and the device token of this client (the one sent, renewed, when it was valid).',
        schema: LoginGrantResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: { ...EXAMPLE_GRANT, deviceToken: EXAMPLE_DEVICE_TOKEN } },
      },
      400: error(
        'The body is not a JSON object, nests too deep, or a field is missing, not a string, empty, blank, too long or has control characters (deviceToken: not a string, empty or too long; one of the right shape that fails a check is ignored, never refused).',
        { error: 'password is required', code: 'invalid_request' },
      ),
      401: error(
        'Unknown identifier, wrong password or disabled user: byte-identical every time, whatever the device token.',
        { error: INVALID_CREDENTIALS_MESSAGE, code: 'invalid_credentials' },
      ),
      429: error(
        'This identifier failed too often, or its account did (100 failures in a row from clients without a valid device token) (Retry-After: seconds); or the gateway throttled the caller (no Retry-After).',
        { error: TOO_MANY_ATTEMPTS_MESSAGE, code: 'too_many_attempts' },
        { optionalHeaders: ['Retry-After'] },
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.password)]: {
    operationId: 'changePassword',
    summary: 'Change the password',
    description:
      "Change the bearer token's user's password. `currentPassword` is checked on the caller's session's own budget (5 wrong ones) and the account's cap; a wrong one also counts as a failed login by the account's email, but the email's lock does not stop the change; `newPassword` must meet the password policy (at least 15 characters, at most 72 bytes in UTF-8, not a common password nor built from the account's own words; see docs/passwords.md). On success every session of the user that existed before, the caller's included, has ended, and so has every device token; the answer is a login's: the caller goes on with the new session and a new device token.",
    tags: ['auth'],
    bearerAuth: true,
    requestBody: {
      schema: PasswordChangeRequestSchema,
      example: { currentPassword: 'secret123', newPassword: 'a long and unusual passphrase' },
    },
    responses: {
      200: {
        description:
          'Changed: a new session, its first refresh token, an access token and a new device token; every earlier session and device token has ended.',
        schema: LoginGrantResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: { ...EXAMPLE_GRANT, deviceToken: EXAMPLE_DEVICE_TOKEN } },
      },
      400: error(
        'The body is not a JSON object, nests too deep, or a field is missing, not a string, empty or too long; or newPassword breaks the policy (the message names the rule). Nothing changed.',
        { error: 'newPassword must be at least 15 characters', code: 'invalid_request' },
      ),
      401: error(
        "A wrong currentPassword: the login's 401, byte for byte. Or no bearer token, an invalid or expired one, or one of a session that has ended: the other Bearer routes' 401, with WWW-Authenticate (code token_required or invalid_token).",
        { error: INVALID_CREDENTIALS_MESSAGE, code: 'invalid_credentials' },
        { optionalHeaders: ['WWW-Authenticate'] },
      ),
      429: error(
        'This session sent too many wrong current passwords, or the account reached its cap (Retry-After: seconds); or the gateway throttled the caller (no Retry-After).',
        { error: TOO_MANY_ATTEMPTS_MESSAGE, code: 'too_many_attempts' },
        { optionalHeaders: ['Retry-After'] },
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('GET', HTTP_PATHS.me)]: {
    operationId: 'getMe',
    summary: 'The signed-in user',
    description: "The safe user of the bearer token's subject, read consistently.",
    tags: ['auth'],
    bearerAuth: true,
    responses: {
      200: {
        description: 'The token is valid and its user exists.',
        schema: MeResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: { user: EXAMPLE_USER } },
      },
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.refresh)]: {
    operationId: 'refresh',
    summary: 'Refresh',
    description: `Trade a refresh token for a new access token and refresh token (rotation): the one presented is spent. Presenting it again within ${REUSE_GRACE_SECONDS} seconds of its rotation (the default grace; another tab, a lost answer) gets the same new pair; presenting it later, or any older one, ends the session (reuse detection). Every failure is the same 401. No Authorization header.`,
    tags: ['sessions'],
    requestBody: { schema: RefreshRequestSchema, example: { refreshToken: EXAMPLE_REFRESH_TOKEN } },
    responses: {
      200: {
        description: "The session's next access token and refresh token; the same shape as a login's answer.",
        schema: TokenGrantResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: { ...EXAMPLE_GRANT, refreshToken: EXAMPLE_REFRESH_TOKEN.replace('.0.', '.1.') } },
      },
      400: error(
        'The body is not a JSON object, nests too deep, or refreshToken is missing, not a string, empty or too long.',
        { error: 'refreshToken is required', code: 'invalid_request' },
      ),
      401: error(
        'The refresh token is malformed, unknown, forged or spent, or its session ended or expired: byte-identical in every case.',
        { error: INVALID_REFRESH_TOKEN_MESSAGE, code: 'invalid_refresh_token' },
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.token)]: {
    operationId: 'token',
    summary: 'Token endpoint (RFC 6749)',
    description: `The refresh grant of RFC 6749 section 6, form-encoded, for OAuth client libraries: the very refresh of \`POST /api/auth/refresh\` (rotation, ${REUSE_GRACE_SECONDS} s of grace for a retry, reuse ends the session), answered as RFC 6749 section 5 says. \`client_id\` names a registered public client (no secret) and must be the session's. Parameters other than those below are ignored; each may be sent once.`,
    tags: ['oauth'],
    requestBody: {
      schema: TokenRequestSchema,
      example: { grant_type: 'refresh_token', refresh_token: EXAMPLE_REFRESH_TOKEN, client_id: EXAMPLE_CLIENT_ID },
      form: true,
    },
    responses: {
      200: {
        description: 'The next access token and refresh token (RFC 6749 section 5.1).',
        schema: TokenResponseSchema,
        headers: NO_STORE,
        example: {
          access_token: EXAMPLE_GRANT.token,
          token_type: 'Bearer',
          expires_in: 900,
          refresh_token: EXAMPLE_REFRESH_TOKEN.replace('.0.', '.1.'),
        },
      },
      400: oauthError(
        "`invalid_request` (not form-encoded, a parameter missing, repeated or too long), `unsupported_grant_type` (any grant but refresh_token), `invalid_scope` (a scope: we define none), or `invalid_grant`: the refresh token is malformed, unknown, forged, spent, another client's, or its session ended or expired, byte-identical in every case.",
        'invalid_grant',
        INVALID_GRANT_DESCRIPTION,
      ),
      401: INVALID_CLIENT,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.revoke)]: {
    operationId: 'revoke',
    summary: 'Revocation endpoint (RFC 7009)',
    description:
      'Ends the session of a refresh token, as a logout by refresh token does: 200 whether or not the token was known, current, forged or already ended (RFC 7009 section 2.2), and for a session of another client (left alone). An access token is refused with `unsupported_token_type`: it expires by itself, and `POST /api/auth/logout` with it as the bearer token ends its session. `token_type_hint` decides nothing: a refresh token is found whatever the hint says (RFC 7009 section 2.1).',
    tags: ['oauth'],
    requestBody: {
      schema: RevocationRequestSchema,
      example: { token: EXAMPLE_REFRESH_TOKEN, token_type_hint: 'refresh_token', client_id: EXAMPLE_CLIENT_ID },
      form: true,
    },
    responses: {
      200: SESSION_ENDED,
      400: oauthError(
        '`invalid_request` (not form-encoded, `token` missing or empty, a parameter repeated) or `unsupported_token_type` (an access token).',
        'unsupported_token_type',
        'Only refresh tokens can be revoked; access tokens expire',
      ),
      401: INVALID_CLIENT,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.logout)]: {
    operationId: 'logout',
    summary: 'Log out',
    description:
      'End one session: the one of the refresh token in the body, or, with no body, the one of the bearer token. Idempotent: an unknown, ended or forged refresh token is not an error (RFC 7009).',
    tags: ['sessions'],
    bearerAuth: 'optional',
    requestBody: { schema: RefreshRequestSchema, example: { refreshToken: EXAMPLE_REFRESH_TOKEN }, required: false },
    responses: {
      200: SESSION_ENDED,
      400: error(
        'The body is not a JSON object, nests too deep, or refreshToken is missing, not a string, empty or too long.',
        { error: 'refreshToken must be a string', code: 'invalid_request' },
      ),
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.logoutAll)]: {
    operationId: 'logoutAll',
    summary: 'Log out everywhere',
    description:
      "End every session of the bearer token's user, this one included: their refresh tokens stop working at once, their access tokens at the next check.",
    tags: ['sessions'],
    bearerAuth: true,
    responses: {
      200: done('Every session of the user has ended.'),
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('GET', HTTP_PATHS.sessions)]: {
    operationId: 'listSessions',
    summary: 'The live sessions',
    description: "The bearer token's user's live sessions, newest first; `current` marks the caller's own.",
    tags: ['sessions'],
    bearerAuth: true,
    responses: {
      200: {
        description: 'The live sessions.',
        schema: SessionsResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: EXAMPLE_SESSIONS },
      },
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('DELETE', HTTP_PATHS.session)]: {
    operationId: 'deleteSession',
    summary: 'End one session',
    description: "End one of the bearer token's user's live sessions (another device, say), by the id the list shows.",
    tags: ['sessions'],
    bearerAuth: true,
    pathParameters: { id: { description: 'A session id from `GET /api/auth/sessions`.', example: EXAMPLE_SESSION_ID } },
    responses: {
      200: done('The session has ended.'),
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      404: error(
        "No live session of the caller's has this id: the same answer for one that does not exist, has ended, or is someone else's (and, from the gateway, for no such route).",
        { error: SESSION_NOT_FOUND_MESSAGE, code: 'not_found' },
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.passkeyRegistrationOptions)]: {
    operationId: 'passkeyRegistrationOptions',
    summary: 'Start adding a passkey',
    description:
      "Options for `navigator.credentials.create` (pass them to `@simplewebauthn/browser`'s `startRegistration`): a fresh single-use challenge bound to the caller, the caller's passkeys excluded, a discoverable credential with user verification required, attestation `none`. Needs the bearer token of a recent sign-in.",
    tags: ['passkeys'],
    bearerAuth: true,
    requestBody: OPTIONS_BODY,
    responses: {
      200: {
        description: 'The creation options.',
        schema: PasskeyCreationOptionsResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: EXAMPLE_CREATION_OPTIONS },
      },
      400: OPTIONS_BAD_BODY,
      401: FRESH_BEARER_UNAUTHORIZED,
      409: PASSKEY_LIMIT,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.passkeyRegistration)]: {
    operationId: 'registerPasskey',
    summary: 'Add a passkey',
    description:
      "The authenticator's answer (`RegistrationResponseJSON`, what `startRegistration` returns), optionally with a `name`. Its challenge is spent whatever the outcome. Needs the bearer token of a recent sign-in.",
    tags: ['passkeys'],
    bearerAuth: true,
    requestBody: { schema: RegistrationRequestSchema, example: EXAMPLE_REGISTRATION_REQUEST },
    responses: {
      200: {
        description: 'The passkey is added.',
        schema: PasskeyResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: { passkey: { ...EXAMPLE_PASSKEY, lastUsedAt: null } } },
      },
      400: error(
        "The body is not of a registration response's shape (a field missing, not base64url, too long; an attestation object that is not CBOR), or it does not verify: a spent, expired or someone else's challenge, another origin or RP ID, no user verification, an algorithm or key we do not accept (ES256 only on P-256, EdDSA only on Ed25519, RS256 of 2048 bits or more), or a credential registered already (to anyone: the same answer, so it tells nobody the credential exists).",
        { error: PASSKEY_REGISTRATION_FAILED_MESSAGE, code: 'passkey_not_verified' },
      ),
      401: FRESH_BEARER_UNAUTHORIZED,
      409: PASSKEY_LIMIT,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('GET', HTTP_PATHS.passkeys)]: {
    operationId: 'listPasskeys',
    summary: 'The passkeys',
    description: "The bearer token's user's passkeys, newest first. No public key or counter.",
    tags: ['passkeys'],
    bearerAuth: true,
    responses: {
      200: {
        description: 'The passkeys.',
        schema: PasskeysResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: { passkeys: [EXAMPLE_PASSKEY] } },
      },
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('DELETE', HTTP_PATHS.passkey)]: {
    operationId: 'deletePasskey',
    summary: 'Delete a passkey',
    description:
      "Delete one of the bearer token's user's passkeys, by the id the list shows. Sessions it started carry on (end them with the session routes).",
    tags: ['passkeys'],
    bearerAuth: true,
    pathParameters: {
      id: { description: 'A credential id from `GET /api/auth/passkeys`.', example: EXAMPLE_CREDENTIAL_ID },
    },
    responses: {
      200: done('The passkey is deleted.'),
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      404: error(
        "No passkey of the caller's has this id: the same answer for one that does not exist and for someone else's.",
        { error: PASSKEY_NOT_FOUND_MESSAGE, code: 'not_found' },
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.passkeyAuthenticationOptions)]: {
    operationId: 'passkeyAuthenticationOptions',
    summary: 'Start a passkey sign-in',
    description:
      "Options for `navigator.credentials.get` (pass them to `@simplewebauthn/browser`'s `startAuthentication`): the same for everyone but a fresh single-use challenge; no credentials named, so no username is needed and nothing tells whether an account exists. No Authorization header.",
    tags: ['passkeys'],
    requestBody: OPTIONS_BODY,
    responses: {
      200: {
        description: 'The request options.',
        schema: PasskeyRequestOptionsResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: EXAMPLE_REQUEST_OPTIONS },
      },
      400: OPTIONS_BAD_BODY,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('POST', HTTP_PATHS.passkeyAuthentication)]: {
    operationId: 'signInWithPasskey',
    summary: 'Sign in with a passkey',
    description:
      "The authenticator's answer (`AuthenticationResponseJSON`, what `startAuthentication` returns). Answers with the same token grant as a password login, and starts a session like one. No Authorization header. Every failure is the same 401.",
    tags: ['passkeys'],
    requestBody: { schema: AuthenticationRequestSchema, example: EXAMPLE_AUTHENTICATION_REQUEST },
    responses: {
      200: {
        description:
          'The passkey verifies: the same grant as a password login (a new session, its first refresh token, an access token, and a new device token for this client).',
        schema: LoginGrantResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: { ...EXAMPLE_GRANT, deviceToken: EXAMPLE_DEVICE_TOKEN } },
      },
      400: error(
        "The body is not of an authentication response's shape: a field missing or not a string, not base64url, too long (a credential id over 1023 bytes), client data that is not JSON.",
        { error: 'response.signature is required', code: 'invalid_request' },
      ),
      401: error(
        'Unknown or deleted passkey, bad signature, another origin or RP ID, a spent, expired or unknown challenge, no user verification, a device-bound counter that went back, a user that is gone: byte-identical in every case.',
        { error: INVALID_PASSKEY_MESSAGE, code: 'invalid_passkey' },
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('GET', HTTP_PATHS.jwks)]: {
    operationId: 'getJwks',
    summary: 'Public signing keys (JWKS)',
    description: 'Every key that may verify a live token: the next, active and recently retired keys. Cacheable.',
    tags: ['keys'],
    responses: {
      200: publicDocument('The JWK set.', PublicJwksSchema, EXAMPLE_JWKS),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  [routeKey('GET', HTTP_PATHS.authorizationServer)]: {
    operationId: 'getAuthorizationServerMetadata',
    summary: 'Authorization server metadata (RFC 8414)',
    description:
      'The issuer, its keys, its token and revocation endpoints, what they support, and the audience of its access tokens. Cacheable.',
    tags: ['keys'],
    responses: {
      200: METADATA,
      500: INTERNAL,
    },
  },
  [routeKey('GET', HTTP_PATHS.discovery)]: {
    operationId: 'getDiscovery',
    summary: 'Discovery document',
    description:
      "The same metadata as `/.well-known/oauth-authorization-server` (RFC 8414 section 5), where API Gateway's JWT authorizers and OIDC libraries look for `jwks_uri`. No ID token fields: we issue no ID tokens and are no OpenID Provider. Cacheable.",
    tags: ['keys'],
    responses: {
      200: METADATA,
      500: INTERNAL,
    },
  },
  [routeKey('GET', HTTP_PATHS.openApi)]: {
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description: 'The OpenAPI 3.1 document of the API. Cacheable.',
    tags: ['meta'],
    responses: {
      200: publicDocument('The OpenAPI document.', OpenApiDocumentSchema, undefined),
      500: INTERNAL,
    },
  },
};
