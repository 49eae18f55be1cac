import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createWellKnownHandler } from '#functions/well-known/create-handler.ts';
import { createWellKnownHandlerDependencies } from '#functions/well-known/dependencies.ts';
import { readWellKnownConfig } from '#lib/function-config.ts';
import { HTTP_FUNCTIONS, HTTP_ROUTES, type HttpFunctionName } from '#lib/http/routes.ts';
import { freePort } from '#scripts/local/free-port.ts';
import { createLocalApi } from '#scripts/local/local-api.ts';
import type { ProxyHandler } from './events.ts';
import { createPasskeyHandlers, createSessionHandlers } from './handler.ts';

/**
 * Every route of the route table, served by the real handlers (built from `env` as their Lambda
 * entry points build them) behind the local stand-in for API Gateway, on a free loopback port,
 * with the issuer set to that URL as `npm start` sets it: what a third-party client library sees.
 */
export const startTestApi = async (env: Record<string, string>) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const withIssuer = { ...env, TOKEN_ISSUER: url };
  const logger = new Logger({ serviceName: 'movie-knight-auth', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'MovieKnightAuthTest', serviceName: 'movie-knight-auth' });
  const handlers: Record<HttpFunctionName, ProxyHandler> = {
    ...createSessionHandlers(withIssuer, undefined, logger),
    ...createPasskeyHandlers(withIssuer, undefined, logger),
    wellKnown: createWellKnownHandler(
      createWellKnownHandlerDependencies(readWellKnownConfig(withIssuer), { logger, metrics }),
    ) as ProxyHandler,
  };
  const server = createLocalApi(
    HTTP_ROUTES.map((route) => ({
      method: route.method,
      path: route.path,
      functionName: HTTP_FUNCTIONS[route.function].constructId,
      handler: handlers[route.function],
    })),
  );
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.close();
      server.closeAllConnections();
      await once(server, 'close');
    },
  };
};
