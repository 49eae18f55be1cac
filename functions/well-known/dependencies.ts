import type { Logger } from '@aws-lambda-powertools/logger';
import type { WellKnownConfig } from '#lib/config.ts';
import { createKeyProvider } from '#lib/tokens/key-provider.ts';
import type { WellKnownHandlerOptions } from './create-handler.ts';

/** The real adapters for `config`, built once per container. */
export const createWellKnownDependencies = (
  config: WellKnownConfig,
  { logger }: { logger: Logger },
): Omit<WellKnownHandlerOptions, 'corsAllowedOrigins'> => ({
  logger,
  keys: createKeyProvider(config.token.signingKeys),
  issuer: config.token.issuer,
});
