import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { failure } from '#lib/http/response.ts';
import { lambdaContext, toApiGatewayEvent } from './api-gateway-event.ts';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface Route {
  method: string;
  path: string;
  /** The Lambda function's logical name, for the local context. */
  functionName: string;
  handler: ProxyHandler;
}

/**
 * Matches a request path against a route's resource path, as API Gateway does: literal segments
 * exactly, `{name}` one whole non-empty segment. The path parameters, or undefined for no match.
 */
export const matchPath = (resource: string, path: string): Record<string, string> | undefined => {
  const want = resource.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const actual = got[index] ?? '';
    const name = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (name) {
      if (actual === '') return undefined;
      try {
        parameters[name] = decodeURIComponent(actual);
      } catch {
        return undefined; // a malformed escape matches nothing
      }
    } else if (segment !== actual) return undefined;
  }
  return parameters;
};

/** API Gateway's REST API payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

const readBody = async (request: IncomingMessage): Promise<string | null | 'too-large'> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return chunks.length ? Buffer.concat(chunks).toString('utf8') : null;
};

const send = (response: ServerResponse, result: APIGatewayProxyResult): void => {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  const headers = Object.entries({ ...result.headers, ...result.multiValueHeaders }).map(
    ([name, value]) => [name, Array.isArray(value) ? value.map(String) : String(value)] as const,
  );
  response.writeHead(result.statusCode, Object.fromEntries(headers));
  response.end(body);
};

/**
 * The local stand-in for API Gateway: turns each HTTP request into a REST API proxy event,
 * calls the same handler Lambda runs, and writes its result back. Paths and methods with no
 * route get the same JSON envelope the API uses, as API Gateway's gateway responses would.
 */
export const createLocalApi = (routes: Route[]): Server =>
  createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const onPath = routes.filter((route) => matchPath(route.path, url.pathname) !== undefined);
    const route = onPath.find((candidate) => candidate.method === request.method);
    if (!route) {
      request.resume();
      send(
        response,
        onPath.length
          ? failure(405, 'Method not allowed', { Allow: onPath.map((r) => r.method).join(', ') })
          : failure(404, 'Not found'),
      );
      return;
    }
    try {
      const body = await readBody(request);
      if (body === 'too-large') return send(response, failure(413, 'Request body too large'));
      const event = toApiGatewayEvent({
        method: request.method ?? 'GET',
        path: url.pathname,
        headers: request.headers,
        query: url.searchParams,
        body,
        resource: route.path,
        pathParameters: matchPath(route.path, url.pathname),
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      });
      send(response, await route.handler(event, lambdaContext(route.functionName)));
    } catch (error) {
      // What API Gateway answers when the integration fails: a 502 with no detail.
      console.error('Local API: the handler failed', error);
      send(response, failure(502, 'Bad gateway'));
    }
  });
