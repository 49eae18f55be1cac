import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readWellKnownConfig } from '#lib/function-config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lib/service.ts';
import { createWellKnownHandler } from './create-handler.ts';
import { createWellKnownDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readWellKnownConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
// Only for the rare metric published on its own (a failed secret refresh): no flush middleware.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** The Lambda entry point: the JWKS, the OpenID discovery document and the OpenAPI document. */
export const handler = createWellKnownHandler({
  ...createWellKnownDependencies(config, { logger, metrics }),
  corsAllowedOrigins: config.corsAllowedOrigins,
});
