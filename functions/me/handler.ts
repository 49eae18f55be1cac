import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readMeConfig } from '#lib/function-config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lib/service.ts';
import { createMeHandler } from './create-handler.ts';
import { createMeDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readMeConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
// Only for the rare metric published on its own (a failed secret refresh): no flush middleware.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** The Lambda entry point: `GET /api/auth/me` (API Gateway REST API, proxy integration). */
export const handler = createMeHandler({
  ...createMeDependencies(config, { logger, metrics }),
  corsAllowedOrigins: config.corsAllowedOrigins,
});
