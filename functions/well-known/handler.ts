import { Logger } from '@aws-lambda-powertools/logger';
import { readWellKnownConfig } from '#lib/config.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import { createWellKnownHandler } from './create-handler.ts';
import { createWellKnownDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readWellKnownConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });

/** The Lambda entry point: the JWKS and the OpenID discovery document. */
export const handler = createWellKnownHandler({
  ...createWellKnownDependencies(config, { logger }),
  corsAllowedOrigins: config.corsAllowedOrigins,
});
