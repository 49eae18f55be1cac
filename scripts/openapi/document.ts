import { toJsonSchema, toJsonSchemaDefs } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { ErrorCodeSchema, ErrorEnvelopeSchema } from '#lib/contract/envelopes.ts';
import { GATEWAY_STATUS_CONTRACTS, type ResponseContract } from '#lib/contract/responses.ts';
import { ROUTE_CONTRACTS, type RouteContract } from '#lib/contract/route-contracts.ts';
import {
  AuthorizationServerMetadataSchema,
  DoneResponseSchema,
  LoginGrantResponseSchema,
  MeResponseSchema,
  OAuthErrorSchema,
  SessionsResponseSchema,
  TokenGrantResponseSchema,
  TokenResponseSchema,
} from '#lib/contract/schemas.ts';
import { HTTP_ROUTES, routeKey } from '#lib/http/routes.ts';
import { PasskeyViewSchema } from '#lib/passkeys/passkey.ts';
import { LoginGrantSchema, TokenGrantSchema } from '#lib/sessions/grant.ts';
import { SessionViewSchema } from '#lib/sessions/manage.ts';
import { PublicJwksSchema } from '#lib/tokens/public-jwks.ts';
import { SafeUserSchema } from '#lib/users/user.ts';

/**
 * Every answer's schema, and the parts they share, published under components/schemas by these
 * names, so that a generated client gets named types (`LoginResponse`, `SessionList`, `Jwks`, ...).
 */
const COMPONENTS = {
  SafeUser: SafeUserSchema,
  TokenGrant: TokenGrantSchema,
  LoginGrant: LoginGrantSchema,
  Session: SessionViewSchema,
  LoginResponse: LoginGrantResponseSchema,
  RefreshResponse: TokenGrantResponseSchema,
  MeResponse: MeResponseSchema,
  SessionList: SessionsResponseSchema,
  Done: DoneResponseSchema,
  Jwks: PublicJwksSchema,
  AuthorizationServerMetadata: AuthorizationServerMetadataSchema,
  TokenResponse: TokenResponseSchema,
  OAuthError: OAuthErrorSchema,
  Passkey: PasskeyViewSchema,
  ErrorEnvelope: ErrorEnvelopeSchema,
  ErrorCode: ErrorCodeSchema,
} as const;

/** Every tag an operation may carry, declared with what it groups. */
const TAGS: Readonly<Record<string, string>> = {
  auth: 'Signing in, the signed-in user and their password.',
  sessions: 'Refresh tokens and sessions: refresh, logout, the session list.',
  oauth: 'The same sessions in the encoding of OAuth 2.0 client libraries (RFC 6749, RFC 7009).',
  passkeys: 'Passkeys (WebAuthn): registering, listing and deleting them, and signing in with one.',
  keys: 'What verifiers need: the public keys and the authorization server metadata.',
  meta: 'This document.',
};

const HEADER_DOCS: Record<string, { description: string; schema: object }> = {
  'Cache-Control': {
    description: '`no-store` on every answer about credentials; `public, max-age=N` on the public documents.',
    schema: { type: 'string' },
  },
  Pragma: {
    description: '`no-cache`, for HTTP/1.0 caches, beside `Cache-Control: no-store`.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying this identifier again.',
    schema: { type: 'integer', minimum: 0 },
  },
  'WWW-Authenticate': {
    description:
      'RFC 6750 challenge: `Bearer realm="movie-knight"`, with `error="invalid_token"` for a bad token; on the OAuth endpoints, the scheme a client tried to authenticate with (RFC 6749 section 5.2).',
    schema: { type: 'string' },
  },
};

type Json = Record<string, unknown>;

/**
 * valibot to JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) with the shared schemas as
 * references to components/schemas. Actions JSON Schema cannot say (a custom `check`) are left
 * out: the document states the shape, the handler enforces the rest.
 */
const jsonSchema = (schema: v.GenericSchema): Json => {
  const converted = toJsonSchema(schema, {
    target: 'draft-2020-12',
    errorMode: 'ignore',
    definitions: COMPONENTS,
  }) as Json;
  const { $schema: _dialect, $defs: _defs, ...rest } = converted;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
};

const response = (contract: ResponseContract): Json => {
  const headers = [
    ...(contract.headers ?? []).map((name) => [name, { ...HEADER_DOCS[name], required: true }] as const),
    ...(contract.optionalHeaders ?? []).map((name) => [name, { ...HEADER_DOCS[name], required: false }] as const),
  ];
  return {
    description: contract.description,
    ...(headers.length > 0 && { headers: Object.fromEntries(headers) }),
    content: {
      'application/json': {
        schema: jsonSchema(contract.schema),
        ...(contract.example !== undefined && { example: contract.example }),
      },
    },
  };
};

/** None, the bearer token, or the bearer token or nothing (`{}` is how OpenAPI says optional). */
const security = (bearerAuth: RouteContract['bearerAuth']): object[] => {
  if (bearerAuth === 'optional') return [{ bearerAuth: [] }, {}];
  return bearerAuth ? [{ bearerAuth: [] }] : [];
};

const operation = (contract: RouteContract): Json => {
  const statuses: Record<number, ResponseContract> = { ...GATEWAY_STATUS_CONTRACTS, ...contract.responses };
  return {
    operationId: contract.operationId,
    summary: contract.summary,
    description: contract.description,
    tags: contract.tags,
    security: security(contract.bearerAuth),
    ...(contract.pathParameters && {
      parameters: Object.entries(contract.pathParameters).map(([name, { description, example }]) => ({
        name,
        in: 'path',
        required: true,
        description,
        schema: { type: 'string' },
        example,
      })),
    }),
    ...(contract.requestBody && {
      requestBody: {
        required: contract.requestBody.required ?? true,
        content: {
          [contract.requestBody.form ? 'application/x-www-form-urlencoded' : 'application/json']: {
            schema: jsonSchema(contract.requestBody.schema),
            example: contract.requestBody.example,
          },
        },
      },
    }),
    responses: Object.fromEntries(
      Object.entries(statuses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, contract]) => [status, response(contract)]),
    ),
  };
};

/**
 * The OpenAPI 3.1 document of every route in the route table, built from the valibot contract
 * (lib/contract/route-contracts.ts). Throws when a route has no contract or a contract no route, so
 * none can be left out or left behind.
 */
export const buildOpenApiDocument = (): Json => {
  const paths: Record<string, Json> = {};
  for (const route of HTTP_ROUTES) {
    const contract = ROUTE_CONTRACTS[routeKey(route.method, route.path)];
    if (!contract)
      throw new Error(`No contract for ${routeKey(route.method, route.path)} in lib/contract/route-contracts.ts`);
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(contract) };
  }
  const routes = new Set(HTTP_ROUTES.map((route) => routeKey(route.method, route.path)));
  const undeclared = Object.values(ROUTE_CONTRACTS)
    .flatMap((contract) => contract.tags)
    .find((tag) => !(tag in TAGS));
  if (undeclared) throw new Error(`Tag ${undeclared} is not declared in scripts/openapi/document.ts TAGS`);
  const orphan = Object.keys(ROUTE_CONTRACTS).find((key) => !routes.has(key));
  if (orphan) throw new Error(`${orphan} in lib/contract/route-contracts.ts is no route of lib/http/routes.ts`);
  const components = toJsonSchemaDefs(COMPONENTS, { target: 'draft-2020-12', errorMode: 'ignore' }) as Json;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Movie Knight Auth',
      version: '1.0.0',
      description:
        'Sign-in for Movie Knight: login by email or username, the signed-in user, sessions (refresh with rotation, logout, logout everywhere, the session list), and the keys that verify its tokens. Every body is JSON, but the forms of the OAuth endpoints (RFC 6749, RFC 7009); every error is `{"ok":false,"error":"<message>","code":"<ErrorCode>"}` (branch on `code`, never on `error`), on the OAuth endpoints with the RFC 6749 code as `error` and `code` and an `error_description`. Generated from the schemas the handlers validate with (`npm run openapi`).',
    },
    // The API serves this document with its own base URL here instead (functions/well-known).
    servers: [{ url: '{baseUrl}', variables: { baseUrl: { default: 'http://127.0.0.1:3000' } } }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: JSON.parse(JSON.stringify(components).replaceAll('"#/$defs/', '"#/components/schemas/')),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
};
