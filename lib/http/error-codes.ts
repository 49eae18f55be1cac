import { OAUTH_ERROR_CODES } from './oauth.ts';

/**
 * The stable, machine-readable `code` beside `error` on every error answer, whoever makes it (the
 * functions' shared chain, API Gateway's gateway responses, the WAF, the local API). Clients
 * branch on it, never on the message. The OAuth endpoints' codes are RFC 6749's (their `error`).
 * Published as the `ErrorCode` enum of openapi.json; a code is never renamed or reused.
 */
export const ERROR_CODES = [
  /** 400: the request is malformed (the message names what is wrong). */
  'invalid_request',
  /** 401 of a login: every credential failure, byte-identical. */
  'invalid_credentials',
  /** 401: no bearer token was sent (RFC 6750: a challenge without an error). */
  'token_required',
  /** 401: the bearer token is malformed, expired, not ours, or its session has ended. */
  'invalid_token',
  /** 401 of `POST /api/auth/refresh`: every refused refresh token, byte-identical. */
  'invalid_refresh_token',
  /** 401 of a passkey sign-in: every failure, byte-identical. */
  'invalid_passkey',
  /** 401: a genuine token of a session that started too long ago for what it asks (RFC 9470). */
  'insufficient_user_authentication',
  /** 400 of a passkey registration that does not verify, or whose challenge is spent or not the caller's. */
  'passkey_not_verified',
  /** 409: the passkey is registered already, or the user has as many as allowed. */
  'passkey_conflict',
  /** 403: refused by the gateway or the firewall. */
  'forbidden',
  /** 404: no such route, or no such session of the caller's. */
  'not_found',
  /** 413: the body is larger than any valid request. */
  'payload_too_large',
  /** 415: the body is not declared as JSON. */
  'unsupported_media_type',
  /** 429 of a login: this identifier failed too often; Retry-After says for how long. */
  'too_many_attempts',
  /** 429 of the gateway or the firewall: this caller, or everyone, sends too fast; no Retry-After. */
  'rate_limited',
  /** 431: the request's headers are too large (the local API; API Gateway refuses them itself). */
  'headers_too_large',
  /** Any other 4xx the gateway refuses on its own. */
  'request_rejected',
  /** 500: a bug or misconfiguration of ours, logged with the request id. */
  'internal_error',
  /** 502, 503, 504: a dependency failed or timed out; retry. */
  'service_unavailable',
  ...OAUTH_ERROR_CODES.filter((code) => code !== 'invalid_request'),
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The code of an answer a status alone describes: a fallback for errors that name no code of their own. */
export const codeForStatus = (statusCode: number): ErrorCode => {
  switch (statusCode) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'invalid_token';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 431:
      return 'headers_too_large';
    default:
      return statusCode >= 500 ? (statusCode === 500 ? 'internal_error' : 'service_unavailable') : 'request_rejected';
  }
};
