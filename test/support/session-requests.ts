import type { APIGatewayProxyResult } from 'aws-lambda';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { invoke, type ProxyHandler } from './events.ts';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** A request to a session route as API Gateway hands it to the function. */
export const sessionRequest = (
  handler: ProxyHandler,
  {
    method = 'POST',
    path,
    resource = path,
    body,
    token,
    headers = {},
    pathParameters,
  }: {
    method?: string;
    path: string;
    resource?: string;
    body?: unknown;
    token?: string;
    headers?: Record<string, string>;
    pathParameters?: Record<string, string>;
  },
): Promise<APIGatewayProxyResult> =>
  invoke(
    handler,
    toApiGatewayEvent({
      method,
      path,
      resource,
      pathParameters,
      headers: {
        ...(body !== undefined && JSON_HEADERS),
        ...(token && { Authorization: `Bearer ${token}` }),
        ...headers,
      },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );

/** `DELETE /api/auth/sessions/{id}` as API Gateway hands it to the sessions function, with the {id} parameter. */
export const deleteSessionRequest = (
  handler: ProxyHandler,
  token: string,
  id: string,
): Promise<APIGatewayProxyResult> =>
  sessionRequest(handler, {
    method: 'DELETE',
    path: `/api/auth/sessions/${id}`,
    resource: '/api/auth/sessions/{id}',
    pathParameters: { id },
    token,
  });

/** The `sid` claim of an access token (read without verifying: the test made it). */
export const sidOf = (token: string): string =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sid;
