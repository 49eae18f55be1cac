import * as v from 'valibot';
import { OAUTH_ERROR_CODES } from '#lib/http/oauth.ts';
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
