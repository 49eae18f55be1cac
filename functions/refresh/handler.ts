import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readRefreshConfig } from '#lib/function-config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lib/service.ts';
import { createRefreshHandler } from './create-handler.ts';
import { createRefreshDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readRefreshConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** The Lambda entry point: `POST /api/auth/refresh` (API Gateway REST API, proxy integration). */
export const handler = createRefreshHandler({
  ...createRefreshDependencies(config, { logger, metrics }),
  corsAllowedOrigins: config.corsAllowedOrigins,
});
