import * as v from 'valibot';
import {
  INVALID_CREDENTIALS_MESSAGE,
  INVALID_REFRESH_TOKEN_MESSAGE,
  SERVICE_UNAVAILABLE_MESSAGE,
  SESSION_NOT_FOUND_MESSAGE,
  TOO_MANY_ATTEMPTS_MESSAGE,
} from '#lib/errors.ts';
import { HTTP_MESSAGES } from '#lib/http/messages.ts';
import { LoginRequestSchema } from '#lib/login/request.ts';
import { TokenGrantSchema } from '#lib/sessions/grant.ts';
import { SessionViewSchema } from '#lib/sessions/manage.ts';
import { RefreshRequestSchema } from '#lib/sessions/request.ts';
import { SafeUserSchema } from '#lib/users/user.ts';

/**
 * The API contract in valibot: for each route of the route table (lib/http/routes.ts), its request
 * body and every status it answers, with the body schema and the headers that matter. `npm run
 * openapi` turns it into openapi.json; the contract tests validate every response the tests see
 * against that document. Adding a route is one entry in ROUTE_CONTRACTS.
 */

/** `{ ok: true, data }`: the success envelope of the published contract. */
export const successEnvelope = <TData extends v.GenericSchema>(data: TData) =>
  v.strictObject({ ok: v.literal(true), data });

/** `{ ok: false, error }`: every error, whoever answers it (function, gateway, local API). */
export const ErrorEnvelopeSchema = v.strictObject({
  ok: v.literal(false),
  error: v.pipe(v.string(), v.description('What went wrong, for a person to read; never internals.')),
});

/** The answer of a login and of a refresh: token, refresh token, lifetime, safe user. */
export const TokenGrantResponseSchema = successEnvelope(TokenGrantSchema);

/** `{ ok: true, data: {} }`: done, nothing to tell (logout, logout everywhere, ending a session). */
export const DoneResponseSchema = successEnvelope(v.strictObject({}));

export const SessionsResponseSchema = successEnvelope(
  v.strictObject({ sessions: v.pipe(v.array(SessionViewSchema), v.description('Live sessions, newest first.')) }),
);

export const MeResponseSchema = successEnvelope(v.strictObject({ user: SafeUserSchema }));

/** A public RSA signing key, as the JWKS publishes it: public members only. */
const PublicJwkSchema = v.strictObject({
  kty: v.literal('RSA'),
  kid: v.string(),
  n: v.string(),
  e: v.string(),
  alg: v.literal('RS256'),
  use: v.literal('sig'),
});

export const JwksSchema = v.strictObject({ keys: v.array(PublicJwkSchema) });

export const DiscoverySchema = v.strictObject({
  issuer: v.string(),
  jwks_uri: v.string(),
  response_types_supported: v.array(v.string()),
  subject_types_supported: v.array(v.string()),
  id_token_signing_alg_values_supported: v.array(v.string()),
});

/** Response headers the contract names; every answer also carries the security headers. */
export type ContractHeader = 'Cache-Control' | 'Pragma' | 'Retry-After' | 'WWW-Authenticate';

/** Every answer about a caller or their credentials: never cached (lib/http/headers.ts NO_STORE_HEADERS). */
const NO_STORE: readonly ContractHeader[] = ['Cache-Control', 'Pragma'];

export interface ResponseContract {
  description: string;
  schema: v.GenericSchema;
  /** Headers this answer always carries. */
  headers?: readonly ContractHeader[];
  /** Headers it carries in some cases (e.g. Retry-After on the function's 429 but not the gateway's). */
  optionalHeaders?: readonly ContractHeader[];
  /** A real answer of this status. */
  example?: unknown;
}

export interface RouteContract {
  operationId: string;
  summary: string;
  description: string;
  tags: readonly string[];
  /** The bearer token in `Authorization`: required, or accepted instead of a body ('optional'). */
  bearerAuth?: boolean | 'optional';
  /** The route's `{name}` path segments. */
  pathParameters?: Readonly<Record<string, { description: string; example: string }>>;
  /** The JSON body; `required: false` when the route may be called without one. */
  requestBody?: { schema: v.GenericSchema; example: unknown; required?: boolean };
  /** The route's own answers; the gateway's (GATEWAY_STATUS_CONTRACTS) are added to every route. */
  responses: Readonly<Record<number, ResponseContract>>;
}

const error = (description: string, message: string, extra: Partial<ResponseContract> = {}): ResponseContract => ({
  description,
  schema: ErrorEnvelopeSchema,
  headers: NO_STORE,
  example: { ok: false, error: message },
  ...extra,
});

const UNAVAILABLE = error(
  'A dependency (DynamoDB, Secrets Manager) failed or timed out; retry.',
  SERVICE_UNAVAILABLE_MESSAGE,
);
const INTERNAL = error('A bug or misconfiguration; logged with the request id.', HTTP_MESSAGES.internal);

/** The 401 of a route that needs a bearer token: RFC 6750's challenge says which kind of failure. */
const BEARER_UNAUTHORIZED = error(
  'No bearer token, or an invalid or expired one, or one of a session that has ended (RFC 6750 says which in WWW-Authenticate).',
  'The token is invalid or has expired',
  { headers: [...NO_STORE, 'WWW-Authenticate'] },
);

/** The session routes parse a body only if one is sent; none is needed. */
const UNNEEDED_BODY = error('A body was sent (none is needed) and it is not valid JSON.', HTTP_MESSAGES.invalidJson);

/**
 * What API Gateway itself may answer on any route (its gateway responses, infra/constructs/auth-api.ts),
 * and the local API in its place. A function's own answer of the same status (413, 415) has the same shape.
 */
export const GATEWAY_STATUS_CONTRACTS: Readonly<Record<number, ResponseContract>> = {
  403: error('Refused by the gateway or the firewall (WAF).', HTTP_MESSAGES.forbidden),
  404: error('No such route: an unknown path, or a method the path does not have.', HTTP_MESSAGES.notFound),
  413: error('The body is larger than any valid request (8 KB).', HTTP_MESSAGES.bodyTooLarge),
  415: error('The body is not declared as JSON.', HTTP_MESSAGES.unsupportedMediaType),
  429: error(
    'Too many requests. From the gateway (rate or burst over the stage limit, or the WAF rate rule): no Retry-After. From the login throttle: Retry-After in seconds.',
    HTTP_MESSAGES.throttled,
    { optionalHeaders: ['Retry-After'] },
  ),
  502: error('The function failed to answer.', HTTP_MESSAGES.unavailable),
  504: error('The function did not answer in time.', HTTP_MESSAGES.unavailable),
};

const EXAMPLE_USER = {
  id: '66a1f2c4e5b3a1234567890a',
  bio: '',
  name: 'Movie Fan',
  email: 'moviefan@example.com',
  badges: [],
  aiUsage: { used: 0, limit: 5, remaining: 5 },
  username: 'moviefan',
  avatarUrl: null,
  createdAt: '2026-06-25T10:30:00.000Z',
  countryCode: null,
  dateOfBirth: '1999-05-20T00:00:00.000Z',
};

const EXAMPLE_TOKEN =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiI2NmExZjJjNGU1YjNhMTIzNDU2Nzg5MGEifQ.c2lnbmF0dXJl';

const EXAMPLE_SESSION_ID = 'Rk3vQ9sT0wXbY2mN5pLc8A';

const EXAMPLE_REFRESH_TOKEN = `${EXAMPLE_SESSION_ID}.0.kq1V4cS8yZ2rW7nE3tB6uH0jM5xP9aD2fG4hL8oQ1iR`;

const EXAMPLE_GRANT = { token: EXAMPLE_TOKEN, refreshToken: EXAMPLE_REFRESH_TOKEN, expiresIn: 900, user: EXAMPLE_USER };

const DONE = (description: string): ResponseContract => ({
  description,
  schema: DoneResponseSchema,
  headers: NO_STORE,
  example: { ok: true, data: {} },
});

const publicDocument = (description: string, schema: v.GenericSchema, example: unknown): ResponseContract => ({
  description,
  schema,
  headers: ['Cache-Control'],
  example,
});

/** One entry per route of HTTP_ROUTES, keyed `METHOD path`. */
export const ROUTE_CONTRACTS: Readonly<Record<string, RouteContract>> = {
  'POST /api/auth/login': {
    operationId: 'login',
    summary: 'Login',
    description:
      'Verify credentials by email OR username and return an access token (JWT), the refresh token of a new session, and the safe user. An identifier with `@` is an email (case-insensitive); anything else is a username (case-sensitive). No Authorization header. A bad identifier and a bad password get the same 401.',
    tags: ['auth'],
    requestBody: {
      schema: LoginRequestSchema,
      example: { emailOrUsername: 'moviefan@example.com', password: 'secret123' },
    },
    responses: {
      200: {
        description: 'The credentials match: a new session, its first refresh token, and an access token.',
        schema: TokenGrantResponseSchema,
        headers: NO_STORE,
        example: { ok: true, data: EXAMPLE_GRANT },
      },
      400: error(
        'The body is not a JSON object, nests too deep, or a field is missing, not a string, empty, blank, too long or has control characters.',
        'password is required',
      ),
      401: error('Unknown identifier or wrong password: byte-identical either way.', INVALID_CREDENTIALS_MESSAGE),
      429: error(
        'This identifier failed too often (Retry-After: seconds), or the gateway throttled the caller (no Retry-After).',
        TOO_MANY_ATTEMPTS_MESSAGE,
        { optionalHeaders: ['Retry-After'] },
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  'GET /api/auth/me': {
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
  'POST /api/auth/refresh': {
    operationId: 'refresh',
    summary: 'Refresh',
    description:
      'Trade a refresh token for a new access token and refresh token (rotation): the one presented is spent. Presenting it again within a few seconds of its rotation (another tab, a lost answer) gets the same new pair; presenting it later, or any older one, ends the session (reuse detection). Every failure is the same 401. No Authorization header.',
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
        'refreshToken is required',
      ),
      401: error(
        'The refresh token is malformed, unknown, forged or spent, or its session ended or expired: byte-identical in every case.',
        INVALID_REFRESH_TOKEN_MESSAGE,
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  'POST /api/auth/logout': {
    operationId: 'logout',
    summary: 'Log out',
    description:
      'End one session: the one of the refresh token in the body, or, with no body, the one of the bearer token. Idempotent: an unknown, ended or forged refresh token is not an error (RFC 7009).',
    tags: ['sessions'],
    bearerAuth: 'optional',
    requestBody: { schema: RefreshRequestSchema, example: { refreshToken: EXAMPLE_REFRESH_TOKEN }, required: false },
    responses: {
      200: DONE('The session is ended, or there was nothing to end.'),
      400: error(
        'The body is not a JSON object, nests too deep, or refreshToken is missing, not a string, empty or too long.',
        'refreshToken must be a string',
      ),
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  'POST /api/auth/logout-all': {
    operationId: 'logoutAll',
    summary: 'Log out everywhere',
    description:
      "End every session of the bearer token's user, this one included: their refresh tokens stop working at once, their access tokens at the next check.",
    tags: ['sessions'],
    bearerAuth: true,
    responses: {
      200: DONE('Every session of the user has ended.'),
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  'GET /api/auth/sessions': {
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
        example: {
          ok: true,
          data: {
            sessions: [
              {
                id: EXAMPLE_SESSION_ID,
                createdAt: '2026-11-26T12:00:00.000Z',
                lastUsedAt: '2026-11-27T08:30:00.000Z',
                expiresAt: '2026-12-12T08:30:00.000Z',
                userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
                current: true,
              },
            ],
          },
        },
      },
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  'DELETE /api/auth/sessions/{id}': {
    operationId: 'deleteSession',
    summary: 'End one session',
    description: "End one of the bearer token's user's live sessions (another device, say), by the id the list shows.",
    tags: ['sessions'],
    bearerAuth: true,
    pathParameters: { id: { description: 'A session id from `GET /api/auth/sessions`.', example: EXAMPLE_SESSION_ID } },
    responses: {
      200: DONE('The session has ended.'),
      400: UNNEEDED_BODY,
      401: BEARER_UNAUTHORIZED,
      404: error(
        "No live session of the caller's has this id: the same answer for one that does not exist, has ended, or is someone else's (and, from the gateway, for no such route).",
        SESSION_NOT_FOUND_MESSAGE,
      ),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  'GET /.well-known/jwks.json': {
    operationId: 'getJwks',
    summary: 'Public signing keys (JWKS)',
    description: 'Every key that may verify a live token: the next, active and recently retired keys. Cacheable.',
    tags: ['keys'],
    responses: {
      200: publicDocument('The JWK set.', JwksSchema, {
        keys: [
          {
            kty: 'RSA',
            kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
            n: '0vx7agoebGcQSuuPiLJXZpt...',
            e: 'AQAB',
            alg: 'RS256',
            use: 'sig',
          },
        ],
      }),
      500: INTERNAL,
      503: UNAVAILABLE,
    },
  },
  'GET /.well-known/openid-configuration': {
    operationId: 'getDiscovery',
    summary: 'Discovery document',
    description: 'Where the keys are, for API Gateway JWT authorizers and OIDC libraries. Cacheable.',
    tags: ['keys'],
    responses: {
      200: publicDocument('The discovery document.', DiscoverySchema, {
        issuer: 'https://auth.movieknight.site',
        jwks_uri: 'https://auth.movieknight.site/.well-known/jwks.json',
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      }),
      500: INTERNAL,
    },
  },
  'GET /api/auth/openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description: 'The OpenAPI 3.1 document of the API. Cacheable.',
    tags: ['meta'],
    responses: {
      200: publicDocument('The OpenAPI document.', v.pipe(v.looseObject({ openapi: v.string() })), undefined),
      500: INTERNAL,
    },
  },
};
