import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLoginHandler } from '#functions/login/create-handler.ts';
import { createLoginHandlerDependencies } from '#functions/login/dependencies.ts';
import { createMeHandler } from '#functions/me/create-handler.ts';
import { createMeHandlerDependencies } from '#functions/me/dependencies.ts';
import { createPasskeySignInHandler } from '#functions/passkey-sign-in/create-handler.ts';
import { createPasskeySignInHandlerDependencies } from '#functions/passkey-sign-in/dependencies.ts';
import { createPasskeysHandler } from '#functions/passkeys/create-handler.ts';
import { createPasskeysHandlerDependencies } from '#functions/passkeys/dependencies.ts';
import { createPasswordHandler } from '#functions/password/create-handler.ts';
import { createPasswordHandlerDependencies } from '#functions/password/dependencies.ts';
import { createRefreshHandler } from '#functions/refresh/create-handler.ts';
import { createRefreshHandlerDependencies } from '#functions/refresh/dependencies.ts';
import { createSessionsHandler } from '#functions/sessions/create-handler.ts';
import { createSessionsHandlerDependencies } from '#functions/sessions/dependencies.ts';
import type { Clock } from '#lib/clock.ts';
import {
  readLoginConfig,
  readMeConfig,
  readPasskeySignInConfig,
  readPasskeysConfig,
  readPasswordConfig,
  readRefreshConfig,
  readSessionsConfig,
} from '#lib/function-config.ts';
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
  return createLoginHandler(
    createLoginHandlerDependencies(readLoginConfig(env), { logger, metrics, ...(clock && { clock }) }),
  ) as ProxyHandler;
};

/**
 * Every function a session touches (login, refresh, logout and the session routes, /me, the
 * password change), each
 * built from `env` like its Lambda entry point, sharing one clock the test controls.
 */
export const createSessionHandlers = (
  env: Record<string, string>,
  clock?: Clock,
  logger = new Logger({ serviceName: 'movie-knight-auth', logLevel: 'SILENT' }),
) => {
  const metrics = new Metrics({ namespace: 'MovieKnightAuthTest', serviceName: 'movie-knight-auth' });
  const runtime = { logger, metrics, ...(clock && { clock }) };
  return {
    login: createTestHandler(env, clock),
    refresh: createRefreshHandler(createRefreshHandlerDependencies(readRefreshConfig(env), runtime)) as ProxyHandler,
    sessions: createSessionsHandler(
      createSessionsHandlerDependencies(readSessionsConfig(env), runtime),
    ) as ProxyHandler,
    me: createMeHandler(createMeHandlerDependencies(readMeConfig(env), runtime)) as ProxyHandler,
    password: createPasswordHandler(
      createPasswordHandlerDependencies(readPasswordConfig(env), runtime),
    ) as ProxyHandler,
  };
};

/**
 * The two passkey functions (registration, list and delete; sign-in), each built from `env` like
 * its Lambda entry point, sharing one clock the test controls.
 */
export const createPasskeyHandlers = (
  env: Record<string, string>,
  clock?: Clock,
  logger = new Logger({ serviceName: 'movie-knight-auth', logLevel: 'SILENT' }),
) => {
  const metrics = new Metrics({ namespace: 'MovieKnightAuthTest', serviceName: 'movie-knight-auth' });
  const runtime = { logger, metrics, ...(clock && { clock }) };
  return {
    passkeys: createPasskeysHandler(
      createPasskeysHandlerDependencies(readPasskeysConfig(env), runtime),
    ) as ProxyHandler,
    passkeySignIn: createPasskeySignInHandler(
      createPasskeySignInHandlerDependencies(readPasskeySignInConfig(env), runtime),
    ) as ProxyHandler,
  };
};
