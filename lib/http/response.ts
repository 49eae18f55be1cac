import type { APIGatewayProxyResult } from 'aws-lambda';

/**
 * Headers on every response: JSON, and never cached, since every answer of an auth endpoint
 * is about one caller's credentials (RFC 6749 section 5.1 for token responses).
 */
export const RESPONSE_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
} as const;

/** A JSON response with the standard headers. */
export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...RESPONSE_HEADERS, ...headers },
  body: JSON.stringify(body),
});

/** `{ ok: true, data }`: the contract's success envelope. */
export const success = (data: unknown, statusCode = 200): APIGatewayProxyResult =>
  jsonResponse(statusCode, { ok: true, data });

/** `{ ok: false, error }`: the contract's error envelope. */
export const failure = (statusCode: number, error: string, headers?: Record<string, string>): APIGatewayProxyResult =>
  jsonResponse(statusCode, { ok: false, error }, headers);

/**
 * A public, cacheable JSON document (the JWKS, the discovery document): same content type,
 * cached by clients and CDNs for `maxAgeSeconds` instead of `no-store`.
 */
export const publicDocument = (body: unknown, maxAgeSeconds: number): APIGatewayProxyResult => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': `public, max-age=${maxAgeSeconds}` },
  body: JSON.stringify(body),
});
