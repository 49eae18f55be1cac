import { Logger } from '@aws-lambda-powertools/logger';
import { readMeConfig } from '#lib/config.ts';
import { SERVICE_NAME } from '#lib/service.ts';
import { createMeHandler } from './create-handler.ts';
import { createMeDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readMeConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });

/** The Lambda entry point: `GET /api/auth/me` (API Gateway REST API, proxy integration). */
export const handler = createMeHandler({
  ...createMeDependencies(config, { logger }),
  corsAllowedOrigins: config.corsAllowedOrigins,
});
