import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readLoginConfig } from '#lib/function-config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lib/service.ts';
import { createLoginHandler } from './create-handler.ts';
import { createLoginDependencies } from './dependencies.ts';

// Built once per container, at init, and reused by every warm invocation.
const config = readLoginConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const { warmUp, ...dependencies } = createLoginDependencies(config, { logger, metrics });

// Started during init and not awaited: the import stays as short as it was, and the secrets,
// the key import and the first connection are under way (or done) when the first event comes.
void warmUp();

/** The Lambda entry point: `POST /api/auth/login` (API Gateway REST API, proxy integration). */
export const handler = createLoginHandler({ ...dependencies, corsAllowedOrigins: config.corsAllowedOrigins });
