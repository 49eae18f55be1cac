import { SERVICE_UNAVAILABLE_MESSAGE } from '#lib/errors.ts';

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
