import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readSessionsConfig } from '#lib/function-config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lib/service.ts';
import { createSessionsHandler } from './create-handler.ts';
import { createSessionsDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readSessionsConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
// Only for the rare metric published on its own (a failed secret refresh): no flush middleware.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** The Lambda entry point: logout, logout everywhere, the session list and ending one session. */
export const handler = createSessionsHandler({
  ...createSessionsDependencies(config, { logger, metrics }),
  corsAllowedOrigins: config.corsAllowedOrigins,
});
