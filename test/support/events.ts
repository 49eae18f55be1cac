import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { lambdaContext, toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import type { ProxyHandler } from '#scripts/local/local-api.ts';
import { assertMatchesContract } from './contract.ts';

export type { ProxyHandler } from '#scripts/local/local-api.ts';

/** A login request as API Gateway's REST API hands it to the function. */
export const loginEvent = (
  body: string | null,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): APIGatewayProxyEvent => toApiGatewayEvent({ method: 'POST', path: '/api/auth/login', headers, body });

export const jsonLoginEvent = (body: unknown): APIGatewayProxyEvent => loginEvent(JSON.stringify(body));

/**
 * Invokes a handler as Lambda does and checks its answer against the published contract
 * (openapi.json): every response a handler test sees is a contract test too.
 */
export const invoke = async (handler: ProxyHandler, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const response = await handler(event, lambdaContext());
  assertMatchesContract(event.httpMethod, event.resource, response);
  return response;
};

/** For a middleware test behind a made-up handler, whose answers are not the route's own: no contract check. */
export const invokeOffContract = (handler: ProxyHandler, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  handler(event, lambdaContext());
