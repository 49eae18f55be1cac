import type { Logger } from '@aws-lambda-powertools/logger';
import { createHttpHandler } from '#lib/http/chain.ts';
import { HTTP_MESSAGES } from '#lib/http/messages.ts';
import { failure, publicDocument } from '#lib/http/response.ts';
import { HTTP_PATHS } from '#lib/http/routes.ts';
import { SIGNING_ALGORITHM } from '#lib/tokens/key-set.ts';
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
  corsAllowedOrigins: string[];
  /** The API's OpenAPI document (openapi.json, bundled). */
  openApiDocument: unknown;
}

/** The discovery document: what API Gateway JWT authorizers and OIDC libraries read to find the keys. */
export const discoveryDocument = (issuer: string) => ({
  issuer,
  jwks_uri: `${issuer.replace(/\/$/, '')}${HTTP_PATHS.jwks}`,
  response_types_supported: ['token'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
});

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
  corsAllowedOrigins,
  openApiDocument,
}: WellKnownHandlerDependencies) =>
  createHttpHandler({ logger, corsAllowedOrigins }).handler(async (event) => {
    if (event.resource === HTTP_PATHS.jwks) return publicDocument((await keys()).jwks, WELL_KNOWN_MAX_AGE_SECONDS);
    if (event.resource === HTTP_PATHS.discovery)
      return publicDocument(discoveryDocument(issuer), WELL_KNOWN_MAX_AGE_SECONDS);
    if (event.resource === HTTP_PATHS.openApi) return publicDocument(openApiDocument, WELL_KNOWN_MAX_AGE_SECONDS);
    return failure(404, HTTP_MESSAGES.notFound);
  });
