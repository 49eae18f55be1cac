import { readWellKnownConfig } from '#lib/function-config.ts';
import { createWellKnownHandler } from './create-handler.ts';
import { createWellKnownHandlerDependencies } from './dependencies.ts';

/**
 * The Lambda entry point: the JWKS, the authorization server metadata (at its RFC 8414 and its
 * OpenID discovery paths) and the OpenAPI document.
 * Built once per container, at init, and reused by every warm invocation.
 */
export const handler = createWellKnownHandler(createWellKnownHandlerDependencies(readWellKnownConfig()));
