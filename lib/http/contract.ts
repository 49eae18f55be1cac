import * as v from 'valibot';
import { INVALID_CREDENTIALS_MESSAGE, SERVICE_UNAVAILABLE_MESSAGE, TOO_MANY_ATTEMPTS_MESSAGE } from '#lib/errors.ts';
import { LoginRequestSchema } from '#lib/login/request.ts';
import { SafeUserSchema } from '#lib/users/user.ts';
import { HTTP_MESSAGES } from './messages.ts';

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

export const LoginResponseSchema = successEnvelope(
  v.strictObject({
    token: v.pipe(v.string(), v.description('An RS256 JWT access token (RFC 9068); verify it with the JWKS.')),
    user: SafeUserSchema,
  }),
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
export type ContractHeader = 'Cache-Control' | 'Retry-After' | 'WWW-Authenticate';

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
  /** The bearer token in `Authorization`. */
  bearerAuth?: boolean;
  requestBody?: { schema: v.GenericSchema; example: unknown };
  /** The route's own answers; the gateway's (GATEWAY_STATUS_CONTRACTS) are added to every route. */
  responses: Readonly<Record<number, ResponseContract>>;
}

const error = (description: string, message: string, extra: Partial<ResponseContract> = {}): ResponseContract => ({
  description,
  schema: ErrorEnvelopeSchema,
  headers: ['Cache-Control'],
  example: { ok: false, error: message },
  ...extra,
});

const UNAVAILABLE = error(
  'A dependency (DynamoDB, Secrets Manager) failed or timed out; retry.',
  SERVICE_UNAVAILABLE_MESSAGE,
);
const INTERNAL = error('A bug or misconfiguration; logged with the request id.', HTTP_MESSAGES.internal);

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
      'Verify credentials by email OR username and return a JWT plus the safe user. An identifier with `@` is an email (case-insensitive); anything else is a username (case-sensitive). No Authorization header. A bad identifier and a bad password get the same 401.',
    tags: ['auth'],
    requestBody: {
      schema: LoginRequestSchema,
      example: { emailOrUsername: 'moviefan@example.com', password: 'secret123' },
    },
    responses: {
      200: {
        description: 'The credentials match.',
        schema: LoginResponseSchema,
        headers: ['Cache-Control'],
        example: { ok: true, data: { token: EXAMPLE_TOKEN, user: EXAMPLE_USER } },
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
        headers: ['Cache-Control'],
        example: { ok: true, data: { user: EXAMPLE_USER } },
      },
      401: error(
        'No bearer token, or an invalid or expired one (RFC 6750 says which in WWW-Authenticate).',
        'The token is invalid or has expired',
        {
          headers: ['Cache-Control', 'WWW-Authenticate'],
        },
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
