import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { lambdaContext, toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import type { ProxyHandler } from '#scripts/local/local-api.ts';

export type { ProxyHandler } from '#scripts/local/local-api.ts';

/** A login request as API Gateway's REST API hands it to the function. */
export const loginEvent = (
  body: string | null,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): APIGatewayProxyEvent => toApiGatewayEvent({ method: 'POST', path: '/api/auth/login', headers, body });

export const jsonLoginEvent = (body: unknown): APIGatewayProxyEvent => loginEvent(JSON.stringify(body));

export const invoke = (handler: ProxyHandler, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  handler(event, lambdaContext());
