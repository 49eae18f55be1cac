import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { createHttpHandler } from '#lib/http/chain.ts';
import { recordChainOutcomes } from '#lib/http/error-envelope.ts';
import { success } from '#lib/http/response.ts';
import type { Refresh } from '#lib/sessions/refresh.ts';
import { parseRefreshRequest } from '#lib/sessions/request.ts';
import type { SessionTelemetry } from '#lib/sessions/telemetry.ts';

/** Everything the refresh handler uses, built by createRefreshHandlerDependencies (or by a test). */
export interface RefreshHandlerDependencies {
  refresh: Refresh;
  telemetry: SessionTelemetry;
  logger: Logger;
  metrics: Metrics;
  corsAllowedOrigins: string[];
}

/** `POST /api/auth/refresh`: the shared HTTP chain, the JSON body parser, and the refresh use case. */
export const createRefreshHandler = ({
  refresh,
  telemetry,
  logger,
  metrics,
  corsAllowedOrigins,
}: RefreshHandlerDependencies) =>
  createHttpHandler({
    logger,
    metrics,
    corsAllowedOrigins,
    // 401 is recorded by the refresh itself, with its reason.
    onErrorResponse: recordChainOutcomes((outcome, details) => telemetry.refresh(outcome, details)),
  })
    .use(httpJsonBodyParser())
    .handler(async (event) => success(await refresh(parseRefreshRequest(event.body))));
