import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpHandler } from '#lib/http/chain.ts';
import { httpError } from '#lib/http/messages.ts';
import { SUPPORTED_GRANT_TYPES } from '#lib/http/oauth.ts';
import { failure, publicDocument } from '#lib/http/response.ts';
import { HTTP_PATHS } from '#lib/http/routes.ts';
import type { PublicKeyProvider } from '#lib/tokens/public-key-provider.ts';

/**
 * How long clients may cache the documents. Safe because a key is published as `next` at least
 * JWKS_CACHE_MARGIN_SECONDS (3 hours) before it signs anything.
 */
export const WELL_KNOWN_MAX_AGE_SECONDS = 3600;

/** Everything the well-known handler uses, built by createWellKnownHandlerDependencies (or by a test). */
export interface WellKnownHandlerDependencies {
  logger: Logger;
  keys: PublicKeyProvider;
  issuer: string;
  /** The `aud` of every access token (TOKEN_AUDIENCE), published so verifiers can find it. */
  audience: string;
  corsAllowedOrigins: string[];
  /** The API's OpenAPI document (openapi.json, bundled). */
  openApiDocument: unknown;
}

/**
 * The authorization server metadata (RFC 8414 section 2), only what is true: the issuer, the
 * keys, the token and revocation endpoints, the one grant (refresh), public clients (`none`), no
 * authorization endpoint and so no response types; and, beyond the standard (section 2 allows
 * it), `access_token_audience`, the `aud` a verifier must expect. Served as is at
 * `/.well-known/openid-configuration` too (RFC 8414 section 5), where API Gateway's JWT
 * authorizers and OIDC libraries look: it has no ID token fields because we issue no ID tokens.
 */
export const authorizationServerMetadata = (issuer: string, audience: string) => {
  const base = issuer.replace(/\/$/, '');
  return {
    issuer,
    jwks_uri: `${base}${HTTP_PATHS.jwks}`,
    token_endpoint: `${base}${HTTP_PATHS.token}`,
    revocation_endpoint: `${base}${HTTP_PATHS.revoke}`,
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    access_token_audience: audience,
  };
};

/**
 * `GET /.well-known/jwks.json`, `GET /.well-known/openid-configuration` and `GET
 * /api/auth/openapi.json`: the public documents. The OpenAPI document is served here rather than
 * by a gateway mock integration so that it gets the one header map and CORS for every allowed
 * origin (a mock integration, like a gateway response, can only carry static header values).
 */
export const createWellKnownHandler = ({
  logger,
  keys,
  issuer,
  audience,
  corsAllowedOrigins,
  openApiDocument,
}: WellKnownHandlerDependencies) => {
  const metadata = authorizationServerMetadata(issuer, audience);
  // Served from this deployment, it names this deployment: a generated client or a console aims here.
  const served = {
    ...(openApiDocument as object),
    servers: [{ url: issuer.replace(/\/$/, ''), description: 'This API' }],
  };
  return createHttpHandler({ logger, corsAllowedOrigins }).handler(async (event) => {
    if (event.resource === HTTP_PATHS.jwks) return publicDocument((await keys()).jwks, WELL_KNOWN_MAX_AGE_SECONDS);
    if (event.resource === HTTP_PATHS.discovery || event.resource === HTTP_PATHS.authorizationServer)
      return publicDocument(metadata, WELL_KNOWN_MAX_AGE_SECONDS);
    if (event.resource === HTTP_PATHS.openApi) return publicDocument(served, WELL_KNOWN_MAX_AGE_SECONDS);
    return failure(404, httpError('notFound'));
  });
};
