import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { corsAllowedMethods, corsResponseHeaders, preflightAnswerHeaders } from '#lib/http/cors.ts';
import { SECURITY_HEADERS } from '#lib/http/headers.ts';
import { httpError } from '#lib/http/messages.ts';
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

/** Literal segments of a resource path: `/api/auth/passkeys/registration` has more than `/api/auth/passkeys/{id}`. */
const literalSegments = (resource: string): number =>
  resource.split('/').filter((segment) => !segment.startsWith('{')).length;

/**
 * Of the resources a path matches, only the most specific, as API Gateway picks one resource
 * before it looks at the method: `DELETE /api/auth/passkeys/registration` is no route (the
 * `registration` resource has no DELETE), not a delete of the passkey `registration`.
 */
const mostSpecific = <TRoute extends { path: string }>(matching: TRoute[]): TRoute[] => {
  const best = Math.max(...matching.map((route) => literalSegments(route.path)));
  return matching.filter((route) => literalSegments(route.path) === best);
};

export interface LocalApiOptions {
  /** Browser origins allowed to call the API, as CORS_ALLOWED_ORIGINS and the stack's corsAllowedOrigins. */
  corsAllowedOrigins?: readonly string[];
  /** Told of every answer once it is sent (npm start's one line per request). */
  onAnswer?: (answer: { method: string; path: string; status: number; ms: number }) => void;
}

/** API Gateway's REST API payload limit; the functions refuse far smaller bodies themselves. */
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
 * The path as the client sent it. API Gateway matches the raw path against its resources and
 * does not resolve dot segments, so `/api/auth/x/../login` is no route there, and must not be
 * one here (`new URL` would resolve it to `/api/auth/login`).
 */
const rawPath = (url: string): { path: string; query: URLSearchParams } => {
  const [path = '/', query = ''] = url.split(/\?(.*)/s, 2);
  return { path, query: new URLSearchParams(query) };
};

const hasDotSegment = (path: string): boolean => path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));

/**
 * The local stand-in for API Gateway: turns each HTTP request into a REST API proxy event,
 * calls the same handler Lambda runs, and writes its result back. What API Gateway answers
 * itself, it answers the same way, with the same header map as the functions: CORS preflights
 * like the stack's OPTIONS methods, 404 for a path or method it does not route (API Gateway's
 * "Missing Authentication Token", which the stack's gateway responses turn into a 404), 413, 431
 * and 502, all in the envelope.
 */
export const createLocalApi = (
  routes: Route[],
  { corsAllowedOrigins = [], onAnswer }: LocalApiOptions = {},
): Server => {
  const methods = corsAllowedMethods(routes);
  /** An answer the gateway makes itself: the envelope, the security headers, CORS for the origin. */
  const gatewayAnswer = (origin: string | undefined, statusCode: number, answer: ReturnType<typeof httpError>) => {
    const result = failure(statusCode, answer);
    result.headers = { ...result.headers, ...SECURITY_HEADERS, ...corsResponseHeaders(origin, corsAllowedOrigins) };
    return result;
  };

  const server = createServer(async (request, response) => {
    const origin = request.headers.origin;
    const { path, query } = rawPath(request.url ?? '/');
    if (onAnswer) {
      const started = performance.now();
      response.once('finish', () =>
        onAnswer({
          method: request.method ?? '?',
          path,
          status: response.statusCode,
          ms: performance.now() - started,
        }),
      );
    }
    const onPath = hasDotSegment(path)
      ? []
      : mostSpecific(routes.filter((route) => matchPath(route.path, path) !== undefined));
    const route = onPath.find((candidate) => candidate.method === request.method);
    if (!route) {
      request.resume();
      if (request.method === 'OPTIONS' && onPath.length && corsAllowedOrigins.length) {
        response.writeHead(204, preflightAnswerHeaders(origin, corsAllowedOrigins, methods));
        response.end();
        return;
      }
      send(response, gatewayAnswer(origin, 404, httpError('notFound')));
      return;
    }
    // Too large by its declared length alone: answered at once, without waiting for the body, and
    // the connection closed so the rest of it is never read.
    const tooLarge = () => {
      response.setHeader('Connection', 'close');
      send(response, gatewayAnswer(origin, 413, httpError('bodyTooLarge')));
    };
    if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge();
    try {
      const body = await readBody(request);
      if (body === 'too-large') return tooLarge();
      const event = toApiGatewayEvent({
        method: request.method ?? 'GET',
        path,
        headers: request.headers,
        query,
        body,
        resource: route.path,
        pathParameters: matchPath(route.path, path),
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      });
      send(response, await route.handler(event, lambdaContext(route.functionName)));
    } catch (error) {
      // A client that went away mid-body is no failure of ours, and there is nobody to answer.
      if (request.destroyed || (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
        console.error('Local API: the client closed the connection before its request was read');
        return;
      }
      // What API Gateway answers when the integration fails: a 502 with no detail.
      console.error('Local API: the handler failed', error);
      send(response, gatewayAnswer(origin, 502, httpError('unavailable')));
    }
  });

  // A client that sends its request slowly, or never finishes it, is cut off as API Gateway
  // would (its integration timeout is 29 s), not held for node's default five minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  // node:http answers oversized headers with a bare 431 of its own; answer in the envelope instead.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return;
    const [statusCode, message] =
      error.code === 'HPE_HEADER_OVERFLOW' ? [431, httpError('headersTooLarge')] : [400, httpError('requestRejected')];
    const result = gatewayAnswer(undefined, statusCode, message);
    const head = Object.entries({ ...result.headers, 'Content-Length': String(Buffer.byteLength(result.body)) })
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n');
    socket.end(
      `HTTP/1.1 ${statusCode} ${statusCode === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n${head}\r\nConnection: close\r\n\r\n${result.body}`,
    );
  });
  return server;
};
