import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as v from 'valibot';
import { AuthServiceError } from '#lib/errors.ts';
import { MAX_REFRESH_TOKEN_LENGTH } from '#lib/sessions/refresh-token.ts';

/**
 * The OAuth 2.0 edge: the form-encoded requests of the token endpoint (RFC 6749 section 3.2) and
 * the revocation endpoint (RFC 7009), their client identification, and their errors (RFC 6749
 * section 5.2, RFC 7009 section 2.2.1). The use cases behind them are the JSON routes' own.
 */

/** RFC 6749 section 5.2's error codes, RFC 7009's `unsupported_token_type`. */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
] as const;

export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** The grant the token endpoint supports: refresh (RFC 6749 section 6). Logins are `POST /api/auth/login`. */
export const SUPPORTED_GRANT_TYPES = ['refresh_token'] as const;

/** The one description of every refused refresh token: which reason it was is only in the log. */
export const INVALID_GRANT_DESCRIPTION = 'The refresh token is invalid, expired or revoked';

/**
 * An OAuth error answer: `{"ok": false, "error": "<RFC 6749 code>", "error_description": "..."}`,
 * rendered by the error envelope (lib/http/error-envelope.ts). A 400, or a 401 for a client error.
 */
export class OAuthError extends AuthServiceError {
  static override readonly code = 'ERR_OAUTH';
  // Stryker disable next-line BooleanLiteral: equivalent, the error envelope answers an OAuthError before it reads expose; true says what it does
  override readonly expose = true;
  override readonly statusCode: number;
  override readonly headers: Record<string, string>;

  constructor(
    readonly oauthError: OAuthErrorCode,
    description: string,
    { statusCode = 400, headers = {} }: { statusCode?: number; headers?: Record<string, string> } = {},
  ) {
    super(description);
    this.statusCode = statusCode;
    this.headers = headers;
  }
}

const invalidRequest = (description: string) => new OAuthError('invalid_request', description);

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** A Content-Type's media type, without its parameters, in lower case (RFC 9110 section 8.3.1). */
const mediaTypeOf = (contentType: string): string =>
  // split returns at least one string.
  (contentType.split(';')[0] as string).trim().toLowerCase();

/** The parameters these endpoints read; each may be sent at most once (RFC 6749 section 3.2). */
const KNOWN_PARAMETERS = [
  'grant_type',
  'refresh_token',
  'scope',
  'client_id',
  'client_secret',
  'token',
  'token_type_hint',
] as const;

type KnownParameter = (typeof KNOWN_PARAMETERS)[number];

/**
 * The known parameters of a form-encoded body (after the chain's body limit, so bounded): a 400
 * `invalid_request` for a body of another type or a known parameter sent twice. Others are
 * ignored, as RFC 6749 section 3.2 requires.
 */
export const parseOAuthForm = (event: APIGatewayProxyEvent): Partial<Record<KnownParameter, string>> => {
  const contentType = event.headers?.['content-type'];
  if (contentType === undefined || mediaTypeOf(contentType) !== FORM_MEDIA_TYPE) {
    throw invalidRequest(`The body must be ${FORM_MEDIA_TYPE}`);
  }
  // Stryker disable next-line StringLiteral: equivalent, any other text without a known parameter is the same empty form
  const body = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  const form = new URLSearchParams(text);
  const parameters: Partial<Record<KnownParameter, string>> = {};
  for (const name of KNOWN_PARAMETERS) {
    const values = form.getAll(name);
    if (values.length > 1) throw invalidRequest(`${name} must not be repeated`);
    parameters[name] = values[0];
  }
  return parameters;
};

/** A scheme name as RFC 9110 allows it, short; anything else is answered as Basic. */
const AUTH_SCHEME = /^[A-Za-z][\w!#$%&'*+.^`|~-]{0,31}$/;

/** The challenge of a 401 to a request that sent an `Authorization` header: in its scheme, if it is one. */
const challenge = (authorization: string): string => {
  // split returns at least one string.
  const [scheme] = authorization.trim().split(/\s/) as [string];
  return `${AUTH_SCHEME.test(scheme) ? scheme : 'Basic'} realm="movie-knight"`;
};

/**
 * The registered public client a request names in `client_id` (RFC 6749 section 2.3: our clients
 * have no secrets, so `token_endpoint_auth_method` is `none`). A 401 `invalid_client` when it
 * names none, an unknown one, or tries to authenticate: with an `Authorization` header the
 * challenge names the scheme it used (RFC 6749 section 5.2). After parseOAuthForm, which has
 * read the event's headers.
 */
export const registeredClient = (
  event: APIGatewayProxyEvent,
  parameters: Partial<Record<KnownParameter, string>>,
  registered: readonly string[],
): string => {
  const { authorization } = event.headers;
  if (authorization !== undefined || parameters.client_secret !== undefined) {
    throw new OAuthError('invalid_client', 'Clients do not authenticate here: send client_id alone', {
      statusCode: 401,
      ...(authorization !== undefined && { headers: { 'WWW-Authenticate': challenge(authorization) } }),
    });
  }
  const clientId = parameters.client_id;
  if (!clientId) throw new OAuthError('invalid_client', 'client_id is required', { statusCode: 401 });
  if (!registered.includes(clientId)) throw new OAuthError('invalid_client', 'Unknown client', { statusCode: 401 });
  return clientId;
};

const refreshTokenParameter = (name: string) =>
  v.pipe(
    v.string(`${name} is required`),
    v.nonEmpty(`${name} must not be empty`),
    v.maxLength(MAX_REFRESH_TOKEN_LENGTH, `${name} must be at most ${MAX_REFRESH_TOKEN_LENGTH} characters`),
  );

const ClientIdParameter = v.pipe(
  v.string(),
  v.description('A registered client id (`movie-knight-app` unless configured); no secret.'),
);

/** `POST /api/auth/token`'s form (RFC 6749 section 6); other parameters are ignored. */
export const TokenRequestSchema = v.object({
  grant_type: v.pipe(v.picklist(SUPPORTED_GRANT_TYPES), v.description('Only `refresh_token`.')),
  refresh_token: v.pipe(refreshTokenParameter('refresh_token'), v.description('The refresh token to trade.')),
  client_id: ClientIdParameter,
  scope: v.optional(v.pipe(v.string(), v.description('We define no scopes: only an empty value is accepted.'))),
});

/** `POST /api/auth/revoke`'s form (RFC 7009 section 2.1). */
export const RevocationRequestSchema = v.object({
  token: v.pipe(
    v.string('token is required'),
    v.nonEmpty('token must not be empty'),
    v.description(
      'The refresh token whose session ends. Anything else that is not an access token: 200, nothing ends.',
    ),
  ),
  token_type_hint: v.optional(
    v.pipe(v.string(), v.description('`refresh_token` (a hint only; `access_token` is refused).')),
  ),
  client_id: ClientIdParameter,
});

/**
 * A token request's refresh token and client: `invalid_request` for a missing `grant_type` or
 * `refresh_token`, `unsupported_grant_type` for any grant but refresh, `invalid_client` (401)
 * as `registeredClient` says, `invalid_scope` for a scope (we define none). No work beyond the
 * checks: nothing is read before they pass.
 */
export const parseTokenRequest = (
  event: APIGatewayProxyEvent,
  registered: readonly string[],
): { refreshToken: string; clientId: string } => {
  const parameters = parseOAuthForm(event);
  const grantType = parameters.grant_type;
  if (!grantType) throw invalidRequest('grant_type is required');
  if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grantType)) {
    throw new OAuthError('unsupported_grant_type', 'Only the refresh_token grant is supported');
  }
  const clientId = registeredClient(event, parameters, registered);
  // Each failure fails one action of the pipe: its first issue is its only one.
  const token = v.safeParse(TokenRequestSchema.entries.refresh_token, parameters.refresh_token);
  if (!token.success) throw invalidRequest(token.issues[0].message);
  if (parameters.scope) throw new OAuthError('invalid_scope', 'No scopes are defined');
  return { refreshToken: token.output, clientId };
};

/** What RFC 7009 section 2.2.1 refuses: a token we cannot revoke (an access token: it expires by itself). */
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;

/**
 * A revocation request's token and client: `invalid_request` for a missing `token`,
 * `invalid_client` (401) as `registeredClient` says, `unsupported_token_type` for an access token
 * (by its JWT shape): those expire by themselves, and `POST /api/auth/logout` with the bearer
 * token ends their session. The `token_type_hint` decides nothing: a refresh token sent with the
 * hint `access_token` is still found and revoked (RFC 7009 section 2.1: a server that cannot find
 * the token by the hint searches its other types). Any other token goes on to the revocation,
 * which ignores what is not a genuine refresh token (RFC 7009 section 2.2).
 */
export const parseRevocationRequest = (
  event: APIGatewayProxyEvent,
  registered: readonly string[],
): { token: string; clientId: string } => {
  const parameters = parseOAuthForm(event);
  const clientId = registeredClient(event, parameters, registered);
  const token = v.safeParse(RevocationRequestSchema.entries.token, parameters.token);
  if (!token.success) throw invalidRequest(token.issues[0].message);
  if (JWT_SHAPE.test(token.output)) {
    throw new OAuthError('unsupported_token_type', 'Only refresh tokens can be revoked; access tokens expire');
  }
  return { token: token.output, clientId };
};
