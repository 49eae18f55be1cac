import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { WellKnownConfig } from '#lib/function-config.ts';
import { createPublicKeyProvider } from '#lib/tokens/public-key-provider.ts';
import openApiDocument from '#openapi.json' with { type: 'json' };
import type { WellKnownHandlerOptions } from './create-handler.ts';

/** The real adapters for `config`, built once per container. */
export const createWellKnownDependencies = (
  config: WellKnownConfig,
  { logger, metrics }: { logger: Logger; metrics?: Metrics },
): Omit<WellKnownHandlerOptions, 'corsAllowedOrigins'> => ({
  logger,
  keys: createPublicKeyProvider(config.publicKeys, { logger, metrics }),
  issuer: config.tokenPolicy.issuer,
  openApiDocument,
});
