import type * as v from 'valibot';
import type { ErrorCode } from '#lib/http/error-codes.ts';
import { httpError } from '#lib/http/messages.ts';
import { ErrorEnvelopeSchema } from './envelopes.ts';
import { DoneResponseSchema } from './schemas.ts';

/** Response headers the contract names; every answer also carries the security headers. */
export type ContractHeader = 'Cache-Control' | 'Pragma' | 'Retry-After' | 'WWW-Authenticate';

/** Every answer about a caller or their credentials: never cached (lib/http/headers.ts NO_STORE_HEADERS). */
export const NO_STORE: readonly ContractHeader[] = ['Cache-Control', 'Pragma'];

/** One status of one route: what it means, its body's schema and the headers that matter. */
export interface ResponseContract {
  description: string;
  schema: v.GenericSchema;
  /** Headers this answer always carries. */
  headers?: readonly ContractHeader[];
  /** Headers it carries in some cases (e.g. Retry-After on the function's 429 but not the gateway's). */
  optionalHeaders?: readonly ContractHeader[];
  /** A real answer of this status. */
  example?: unknown;
}

/** An error answer in the envelope, never cached, with `answer` (its words and code) as its example. */
export const error = (
  description: string,
  answer: { error: string; code: ErrorCode },
  extra: Partial<ResponseContract> = {},
): ResponseContract => ({
  description,
  schema: ErrorEnvelopeSchema,
  headers: NO_STORE,
  example: { ok: false, ...answer },
  ...extra,
});

/** `{ ok: true, data: {} }`, never cached. */
export const done = (description: string): ResponseContract => ({
  description,
  schema: DoneResponseSchema,
  headers: NO_STORE,
  example: { ok: true, data: {} },
});

/** A cacheable public document (JWKS, discovery, this document). */
export const publicDocument = (description: string, schema: v.GenericSchema, example: unknown): ResponseContract => ({
  description,
  schema,
  headers: ['Cache-Control'],
  example,
});

export const UNAVAILABLE = error(
  'A dependency (DynamoDB, Secrets Manager) failed or timed out; retry.',
  httpError('unavailable'),
);

export const INTERNAL = error('A bug or misconfiguration; logged with the request id.', httpError('internal'));

/** The 401 of a route that needs a bearer token: RFC 6750's challenge says which kind of failure. */
export const BEARER_UNAUTHORIZED = error(
  'No bearer token, or an invalid or expired one, or one of a session that has ended (RFC 6750 says which in WWW-Authenticate).',
  { error: 'The token is invalid or has expired', code: 'invalid_token' },
  { headers: [...NO_STORE, 'WWW-Authenticate'] },
);

/** The session routes parse a body only if one is sent; none is needed. */
export const UNNEEDED_BODY = error(
  'A body was sent (none is needed) and it is not valid JSON.',
  httpError('invalidJson'),
);

/**
 * What API Gateway itself may answer on any route (its gateway responses, infra/constructs/auth-api.ts),
 * and the local API in its place. A function's own answer of the same status (413, 415) has the same shape.
 */
export const GATEWAY_STATUS_CONTRACTS: Readonly<Record<number, ResponseContract>> = {
  403: error('Refused by the gateway or the firewall (WAF).', httpError('forbidden')),
  404: error('No such route: an unknown path, or a method the path does not have.', httpError('notFound')),
  413: error('The body is larger than any valid request (8 KB).', httpError('bodyTooLarge')),
  415: error('The body is not declared as JSON.', httpError('unsupportedMediaType')),
  429: error(
    'Too many requests. From the gateway (rate or burst over the stage limit, or the WAF rate rule): code `rate_limited`, no Retry-After. From the login throttle: code `too_many_attempts`, Retry-After in seconds.',
    httpError('throttled'),
    { optionalHeaders: ['Retry-After'] },
  ),
  502: error('The function failed to answer.', httpError('unavailable')),
  504: error('The function did not answer in time.', httpError('unavailable')),
};
