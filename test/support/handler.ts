import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLoginHandler } from '#functions/login/create-handler.ts';
import { createLoginDependencies } from '#functions/login/dependencies.ts';
import type { Clock } from '#lib/clock.ts';
import { readLoginConfig } from '#lib/config.ts';
import type { ProxyHandler } from './events.ts';

/** A clock the test moves by hand. */
export const manualClock = (start = new Date('2026-11-26T12:00:00Z')) => {
  let now = start.getTime();
  const clock: Clock = () => new Date(now);
  const advance = (seconds: number): void => {
    now += seconds * 1000;
  };
  return { clock, advance };
};

/**
 * The production handler chain and adapters, built from `env` like the Lambda entry point does,
 * but with a clock the test controls and its own logger and metrics (or the test's).
 */
export const createTestHandler = (
  env: Record<string, string>,
  clock?: Clock,
  telemetry: { logger?: Logger; metrics?: Metrics } = {},
): ProxyHandler => {
  const logger =
    telemetry.logger ??
    new Logger({ serviceName: 'movie-knight-auth', logLevel: (env.POWERTOOLS_LOG_LEVEL ?? 'SILENT') as LogLevel });
  const metrics =
    telemetry.metrics ?? new Metrics({ namespace: 'MovieKnightAuthTest', serviceName: 'movie-knight-auth' });
  const config = readLoginConfig(env);
  return createLoginHandler({
    ...createLoginDependencies(config, { logger, metrics, ...(clock && { clock }) }),
    corsAllowedOrigins: config.corsAllowedOrigins,
  }) as ProxyHandler;
};
