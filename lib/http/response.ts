import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ErrorCode } from './error-codes.ts';
import { NO_STORE_HEADERS } from './headers.ts';

/** A JSON response, never cached (the chain adds the security and CORS headers). */
export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...NO_STORE_HEADERS, ...headers },
  body: JSON.stringify(body),
});

/** `{ ok: true, data }`: the contract's success envelope. */
export const success = (data: unknown, statusCode = 200): APIGatewayProxyResult =>
  jsonResponse(statusCode, { ok: true, data });

/** `{ ok: false, error, code }`: the contract's error envelope, with its stable code. */
export const failure = (
  statusCode: number,
  { error, code }: { error: string; code: ErrorCode },
  headers?: Record<string, string>,
): APIGatewayProxyResult => jsonResponse(statusCode, { ok: false, error, code }, headers);

/**
 * A public, cacheable JSON document (the JWKS, the discovery document): same content type,
 * cached by clients and CDNs for `maxAgeSeconds` instead of `no-store`.
 */
export const publicDocument = (body: unknown, maxAgeSeconds: number): APIGatewayProxyResult => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': `public, max-age=${maxAgeSeconds}` },
  body: JSON.stringify(body),
});
