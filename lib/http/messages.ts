import { SERVICE_UNAVAILABLE_MESSAGE } from '#lib/errors.ts';
import type { ErrorCode } from './error-codes.ts';

/**
 * The `error` text of every answer the HTTP edge makes itself: the functions' shared chain, API
 * Gateway's gateway responses and the local API (`npm start`) all take their words from here, so
 * a client sees one wording whoever refused its request. The domain's own messages (credentials,
 * throttling) live with their errors in lib/errors.ts.
 */
export const HTTP_MESSAGES = {
  notFound: 'Not found',
  forbidden: 'Forbidden',
  requestRejected: 'Request rejected',
  bodyTooLarge: 'Request body too large',
  bodyTooDeep: 'Request body is nested too deeply',
  headersTooLarge: 'Request headers too large',
  unsupportedMediaType: 'Content-Type must be application/json',
  invalidJson: 'Request body must be valid JSON',
  forbiddenKey: 'Request body contains a forbidden key',
  throttled: 'Too many requests, slow down',
  unavailable: SERVICE_UNAVAILABLE_MESSAGE,
  internal: 'Internal server error',
} as const;

/** The `code` of each answer above (lib/http/error-codes.ts), beside its words. */
export const HTTP_MESSAGE_CODES = {
  notFound: 'not_found',
  forbidden: 'forbidden',
  requestRejected: 'request_rejected',
  bodyTooLarge: 'payload_too_large',
  bodyTooDeep: 'invalid_request',
  headersTooLarge: 'headers_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  invalidJson: 'invalid_request',
  forbiddenKey: 'invalid_request',
  throttled: 'rate_limited',
  unavailable: 'service_unavailable',
  internal: 'internal_error',
} as const satisfies Record<keyof typeof HTTP_MESSAGES, ErrorCode>;

/** `{ error, code }` of one of the edge's own answers, by its name above. */
export const httpError = (name: keyof typeof HTTP_MESSAGES): { error: string; code: ErrorCode } => ({
  error: HTTP_MESSAGES[name],
  code: HTTP_MESSAGE_CODES[name],
});
