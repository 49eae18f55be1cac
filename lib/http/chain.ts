import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { httpErrorEnvelope } from './error-envelope.ts';

/**
 * Headers for an API that serves JSON only, never HTML: nothing may be loaded, framed or
 * sniffed. HSTS for a year. The middleware's other browser-feature defaults mean nothing for a
 * JSON API and are left out.
 */
export const SECURITY_HEADERS = {
  // Merged over the middleware's defaults: '' drops a directive, except `sandbox` which it keeps.
  contentSecurityPolicy: {
    'default-src': "'none'",
    'base-uri': "'none'",
    'form-action': "'none'",
    'frame-ancestors': "'none'",
    sandbox: '',
    'report-to': '',
    'require-trusted-types-for': '',
  },
  strictTransportSecurity: { maxAge: 365 * 24 * 60 * 60, includeSubDomains: true, preload: false },
  permissionsPolicy: false,
  reportTo: false,
  reportingEndpoints: false,
  crossOriginEmbedderPolicy: false,
  originAgentCluster: false,
  downloadOptions: false,
  dnsPrefetchControl: false,
  permittedCrossDomainPolicies: false,
} as const;

export interface HttpHandlerOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Browser origins allowed to call the API; none sends no CORS headers. */
  corsAllowedOrigins: string[];
  /** Told of every error answer (see httpErrorEnvelope). */
  onErrorResponse?: (statusCode: number, message: string) => void;
}

/**
 * The chain every HTTP function of the service shares, in this order: Powertools logger context
 * (and metrics), header normalizer, security headers, CORS, the API Gateway request id in the
 * logs, and the error envelope. A function adds its own `before` middlewares (body parser, bearer
 * auth) and its handler after it; the envelope's onError still runs first.
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
  handler.use(httpHeaderNormalizer()).use(httpSecurityHeaders(SECURITY_HEADERS));
  if (corsAllowedOrigins.length > 0) {
    // Tokens travel in the Authorization header, never in cookies: no Access-Control-Allow-Credentials.
    handler.use(
      httpCors({
        origins: corsAllowedOrigins,
        credentials: false,
        methods: 'GET, POST, DELETE',
        headers: 'Authorization, Content-Type',
      }),
    );
  }
  return handler
    .use({
      before: (request) => {
        logger.appendKeys({ apiRequestId: request.event.requestContext?.requestId });
      },
    })
    .use(httpErrorEnvelope({ logger, ...(onErrorResponse && { onErrorResponse }) }));
};
