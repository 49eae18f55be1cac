import { toJsonSchema, toJsonSchemaDefs } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { ErrorCodeSchema, ErrorEnvelopeSchema } from '#lib/contract/envelopes.ts';
import {
  BEARER_UNAUTHORIZED,
  type ContractHeader,
  GATEWAY_STATUS_CONTRACTS,
  INTERNAL,
  type ResponseContract,
  UNAVAILABLE,
  UNNEEDED_BODY,
} from '#lib/contract/responses.ts';
import {
  FRESH_BEARER_UNAUTHORIZED,
  INVALID_CLIENT,
  METADATA,
  OPTIONS_BAD_BODY,
  PASSKEY_LIMIT,
  ROUTE_CONTRACTS,
  type RouteContract,
  SESSION_ENDED,
} from '#lib/contract/route-contracts.ts';
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

/**
 * The answers several operations share, published once under components/responses and referenced.
 * Any answer two operations share must be named here: the build throws otherwise.
 */
const SHARED_RESPONSES: Readonly<Record<string, ResponseContract | undefined>> = {
  Forbidden: GATEWAY_STATUS_CONTRACTS[403],
  NotFound: GATEWAY_STATUS_CONTRACTS[404],
  PayloadTooLarge: GATEWAY_STATUS_CONTRACTS[413],
  UnsupportedMediaType: GATEWAY_STATUS_CONTRACTS[415],
  TooManyRequests: GATEWAY_STATUS_CONTRACTS[429],
  BadGateway: GATEWAY_STATUS_CONTRACTS[502],
  GatewayTimeout: GATEWAY_STATUS_CONTRACTS[504],
  InternalError: INTERNAL,
  ServiceUnavailable: UNAVAILABLE,
  BearerUnauthorized: BEARER_UNAUTHORIZED,
  FreshBearerUnauthorized: FRESH_BEARER_UNAUTHORIZED,
  UnneededBody: UNNEEDED_BODY,
  OptionsBadBody: OPTIONS_BAD_BODY,
  PasskeyLimit: PASSKEY_LIMIT,
  InvalidClient: INVALID_CLIENT,
  SessionEnded: SESSION_ENDED,
  AuthorizationServerMetadata: METADATA,
};

const HEADER_DOCS: Record<ContractHeader, { description: string; schema: object }> = {
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

/** A header's component name: `Retry-After` is `RetryAfter`, and `RetryAfterOptional` where an answer may omit it. */
const headerComponent = (name: ContractHeader, required: boolean): string =>
  `${name.replaceAll('-', '')}${required ? '' : 'Optional'}`;

const headerRef = (name: ContractHeader, required: boolean): Json => ({
  $ref: `#/components/headers/${headerComponent(name, required)}`,
});

/** The headers the answers name (`used`: the document's text), as components/headers, each once. */
const headerComponents = (used: string): Json =>
  Object.fromEntries(
    Object.entries(HEADER_DOCS).flatMap(([name, doc]) =>
      [true, false]
        .map((required) => [headerComponent(name as ContractHeader, required), { ...doc, required }] as const)
        .filter(([component]) => used.includes(`"#/components/headers/${component}"`)),
    ),
  );

/**
 * Answers may gain fields (as login answers gained `refreshToken`, then `deviceToken`): the
 * published document never says `additionalProperties: false`, so a client that validates answers
 * against it keeps working when a field is added. The closed form keeps what the schemas say
 * (every answer exactly its fields): the suite's contract check holds our answers to it
 * (test/support/contract.ts).
 */
const open = (document: Json): Json =>
  JSON.parse(
    JSON.stringify(document, (key, value) => (key === 'additionalProperties' && value === false ? undefined : value)),
  );

const response = (contract: ResponseContract): Json => {
  const headers = [
    ...(contract.headers ?? []).map((name) => [name, headerRef(name, true)] as const),
    ...(contract.optionalHeaders ?? []).map((name) => [name, headerRef(name, false)] as const),
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

const SHARED_NAMES = new Map(
  Object.entries(SHARED_RESPONSES).flatMap(([name, contract]) => (contract ? [[contract, name] as const] : [])),
);

/** A shared answer as a reference to components/responses; any other inline. */
const responseOrRef = (contract: ResponseContract): Json => {
  const name = SHARED_NAMES.get(contract);
  return name ? { $ref: `#/components/responses/${name}` } : response(contract);
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
        .map(([status, contract]) => [status, responseOrRef(contract)]),
    ),
  };
};

/**
 * The OpenAPI 3.1 document of every route in the route table, built from the valibot contract
 * (lib/contract/route-contracts.ts). Throws when a route has no contract or a contract no route, so
 * none can be left out or left behind.
 */
export const buildOpenApiDocument = ({ closed = false }: { closed?: boolean } = {}): Json => {
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
  const uses = new Map<ResponseContract, number>();
  for (const contract of Object.values(ROUTE_CONTRACTS)) {
    for (const answer of Object.values({ ...GATEWAY_STATUS_CONTRACTS, ...contract.responses })) {
      uses.set(answer, (uses.get(answer) ?? 0) + 1);
    }
  }
  const unnamed = [...uses].find(([answer, count]) => count > 1 && !SHARED_NAMES.has(answer));
  if (unnamed) throw new Error(`"${unnamed[0].description}" is shared: name it in SHARED_RESPONSES`);
  if (orphan) throw new Error(`${orphan} in lib/contract/route-contracts.ts is no route of lib/http/routes.ts`);
  const responses = Object.fromEntries(
    Object.entries(SHARED_RESPONSES).flatMap(([name, contract]) => (contract ? [[name, response(contract)]] : [])),
  );
  const components = toJsonSchemaDefs(COMPONENTS, { target: 'draft-2020-12', errorMode: 'ignore' }) as Json;
  const document: Json = {
    openapi: '3.1.0',
    info: {
      title: 'Movie Knight Auth',
      version: '1.0.0',
      description:
        'Sign-in for Movie Knight: login by email or username, the signed-in user, sessions (refresh with rotation, logout, logout everywhere, the session list), and the keys that verify its tokens. Every body is JSON, but the forms of the OAuth endpoints (RFC 6749, RFC 7009); every error is `{"ok":false,"error":"<message>","code":"<ErrorCode>"}` (branch on `code`, never on `error`), on the OAuth endpoints with the RFC 6749 code as `error` and `code` and an `error_description`. Answers may gain fields: ignore the ones you do not know (no schema here forbids them). The CORS preflight of a browser (`OPTIONS`, when origins are configured) is answered by the gateway: docs/browser.md. Generated from the schemas the handlers validate with (`npm run openapi`).',
      // First-party and internal: no licence is granted (package.json says UNLICENSED, as npm does).
      license: { name: 'Proprietary: Movie Knight, all rights reserved' },
    },
    // The API serves this document with its own base URL here instead (functions/well-known).
    servers: [{ url: '{baseUrl}', variables: { baseUrl: { default: 'http://127.0.0.1:3000' } } }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: JSON.parse(JSON.stringify(components).replaceAll('"#/$defs/', '"#/components/schemas/')),
      responses,
      headers: headerComponents(JSON.stringify({ paths, responses })),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
  return closed ? document : open(document);
};
