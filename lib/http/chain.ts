import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { httpBodyLimit } from './body-limit.ts';
import { corsResponseHeaders } from './cors.ts';
import { httpErrorEnvelope } from './error-envelope.ts';
import { SECURITY_HEADERS } from './headers.ts';

export interface HttpHandlerOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Browser origins allowed to call the API; none sends no CORS headers. */
  corsAllowedOrigins: string[];
  /** Told of every error answer (see httpErrorEnvelope). */
  onErrorResponse?: (statusCode: number, message: string) => void;
}

/**
 * Sets the one header map on every answer, success or error: the security headers, and the CORS
 * headers for the request's origin. The same map API Gateway's own answers and the local API
 * carry (lib/http/headers.ts, lib/http/cors.ts).
 */
const httpEdgeHeaders = (
  corsAllowedOrigins: string[],
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  const after = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>): void => {
    if (!request.response) return;
    request.response.headers = {
      ...request.response.headers,
      ...SECURITY_HEADERS,
      // Normalized to lower case by http-header-normalizer.
      ...corsResponseHeaders(request.event.headers?.origin, corsAllowedOrigins),
    };
  };
  return { after, onError: after };
};

/**
 * The chain every HTTP function of the service shares, in this order: Powertools logger context
 * (and metrics), header normalizer, the edge headers (security and CORS), the API Gateway request
 * id in the logs, the body limit, and the error envelope. A function adds its own `before`
 * middlewares (body parser, bearer auth) and its handler after it; the envelope's onError still
 * runs first, so the edge headers land on errors too.
 */
export const createHttpHandler = <TContext extends Context = Context>({
  logger,
  metrics,
  corsAllowedOrigins,
  onErrorResponse,
}: HttpHandlerOptions) => {
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, TContext>()
    // Events can carry passwords and tokens: never log them, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }));
  if (metrics) handler.use(logMetrics(metrics));
  return (
    handler
      .use(httpHeaderNormalizer())
      .use(httpEdgeHeaders(corsAllowedOrigins))
      .use({
        before: (request) => {
          logger.appendKeys({ apiRequestId: request.event.requestContext?.requestId });
        },
      })
      // Before any body parser a function adds: a huge body is refused before it costs CPU.
      .use(httpBodyLimit())
      .use(httpErrorEnvelope({ logger, ...(onErrorResponse && { onErrorResponse }) }))
  );
};
