import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type Clock, systemClock } from './clock.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './service.ts';

/**
 * What a function's dependencies are built with besides its config (lib/function-config.ts):
 * Powertools' logger and metrics, and the clock. Tests and the bench pass their own.
 */
export interface FunctionRuntime {
  logger?: Logger;
  metrics?: Metrics;
  clock?: Clock;
}

/**
 * The runtime with the service's defaults filled in: its logger (level from POWERTOOLS_LOG_LEVEL),
 * its metrics namespace, the system clock. Called once per container, at init.
 */
export const withServiceDefaults = ({ logger, metrics, clock }: FunctionRuntime = {}): Required<FunctionRuntime> => ({
  logger: logger ?? new Logger({ serviceName: SERVICE_NAME }),
  metrics: metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  clock: clock ?? systemClock,
});
