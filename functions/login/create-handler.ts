import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { BadRequestError } from '#lib/errors.ts';
import { createHttpHandler } from '#lib/http/chain.ts';
import { recordChainOutcomes } from '#lib/http/error-envelope.ts';
import { success } from '#lib/http/response.ts';
import type { Login } from '#lib/login/login.ts';
import { parseLoginRequest } from '#lib/login/request.ts';
import type { LoginTelemetry } from '#lib/login/telemetry.ts';

/** Everything the login handler uses, built by createLoginHandlerDependencies (or by a test). */
export interface LoginHandlerDependencies {
  login: Login;
  /** The registered client ids (CLIENT_IDS): a login may name one. */
  clientIds: readonly string[];
  telemetry: LoginTelemetry;
  logger: Logger;
  metrics: Metrics;
  corsAllowedOrigins: string[];
}

/** `POST /api/auth/login`: the shared HTTP chain, the JSON body parser, and the login use case. */
export const createLoginHandler = ({
  login,
  clientIds,
  telemetry,
  logger,
  metrics,
  corsAllowedOrigins,
}: LoginHandlerDependencies) =>
  createHttpHandler({
    logger,
    metrics,
    corsAllowedOrigins,
    // 401 and 429 are recorded by the login itself, with more to say.
    onErrorResponse: recordChainOutcomes((outcome, details) => telemetry.record(outcome, details)),
  })
    .use(httpJsonBodyParser())
    .handler(async (event) => {
      const request = parseLoginRequest(event.body);
      // Checked with the body, before any work: client ids are public, so this tells nothing.
      if (request.clientId !== undefined && !clientIds.includes(request.clientId)) {
        throw new BadRequestError('clientId is not a registered client');
      }
      return success(await login(request, { userAgent: event.headers?.['user-agent'] }));
    });
