import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpErrorEnvelope } from '../../lib/http-error-envelope.ts';
import { success } from '../../lib/http-response.ts';
import { parseLoginRequest } from '../../lib/login-request.ts';
import type { LoginRuntime } from './dependencies.ts';

/**
 * Headers for an endpoint that serves JSON only, never HTML: nothing may be loaded, framed or
 * sniffed. HSTS for a year. The rest of the middleware's browser-feature defaults mean nothing
 * for a JSON API and are left out.
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

export interface LoginHandlerOptions extends LoginRuntime {
  logger: Logger;
  metrics: Metrics;
  /** Browser origins allowed to call the API; none sends no CORS headers. */
  corsAllowedOrigins: string[];
}

/** The middy chain around the login use case; `POST /api/auth/login` behind API Gateway. */
export const createLoginHandler = ({ login, telemetry, logger, metrics, corsAllowedOrigins }: LoginHandlerOptions) => {
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    // The event carries the password: never log it, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics))
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders(SECURITY_HEADERS));
  if (corsAllowedOrigins.length > 0) {
    // No cookies or auth headers are involved, so never Access-Control-Allow-Credentials.
    handler.use(
      httpCors({ origins: corsAllowedOrigins, credentials: false, methods: 'POST', headers: 'Content-Type' }),
    );
  }
  return handler
    .use(httpJsonBodyParser())
    .use(
      httpErrorEnvelope({
        logger,
        // 401 and 429 are recorded by the login itself, with more to say.
        onErrorResponse: (statusCode, reason) => {
          if (statusCode === 400 || statusCode === 415) telemetry.record('bad_input', { statusCode, reason });
          if (statusCode >= 500) telemetry.record('error', { statusCode });
        },
      }),
    )
    .handler(async (event) => {
      logger.appendKeys({ apiRequestId: event.requestContext?.requestId });
      return success(await login(parseLoginRequest(event.body)));
    });
};
