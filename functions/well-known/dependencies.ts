import type { WellKnownConfig } from '#lib/function-config.ts';
import { type FunctionRuntime, withServiceDefaults } from '#lib/function-runtime.ts';
import { createPublicKeyProvider } from '#lib/tokens/public-key-provider.ts';
import openApiDocument from '#openapi.json' with { type: 'json' };
import type { WellKnownHandlerDependencies } from './create-handler.ts';

/**
 * Everything the well-known handler uses, the real adapters for `config`: built once per container by
 * the handler, and by the tests with their own runtime.
 */
export const createWellKnownHandlerDependencies = (
  config: WellKnownConfig,
  runtime?: FunctionRuntime,
): WellKnownHandlerDependencies => {
  const { logger, metrics } = withServiceDefaults(runtime);
  return {
    logger,
    keys: createPublicKeyProvider(config.publicKeys, { logger, metrics }),
    issuer: config.tokenPolicy.issuer,
    audience: config.tokenPolicy.audience,
    corsAllowedOrigins: config.corsAllowedOrigins,
    openApiDocument,
  };
};
