import { SECURITY_HEADERS } from './headers.ts';

/**
 * CORS for browser apps, one definition for the functions, the stack's preflight and gateway
 * responses, and the local API. Tokens travel in the Authorization header, never in cookies:
 * no Access-Control-Allow-Credentials, ever.
 */

/** Request headers a browser app sends: the JSON body's type and the bearer token. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type'] as const;

/** Response headers a browser app may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = ['Retry-After', 'WWW-Authenticate'] as const;

/** How long a browser may reuse a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 3600;

/** The methods of the routes, for the preflight's Access-Control-Allow-Methods. */
export const corsAllowedMethods = (routes: readonly { method: string }[]): string[] => [
  ...new Set(routes.map((route) => route.method)),
];

/** The origin to allow for a request's `Origin`, or undefined: exact match against the allowed list. */
export const allowedOrigin = (origin: string | undefined, allowedOrigins: readonly string[]): string | undefined =>
  origin !== undefined && allowedOrigins.includes(origin) ? origin : undefined;

/**
 * The CORS headers of an actual (non-preflight) answer. An allowed origin is echoed, with the
 * headers it may read; any other origin gets none. `Vary: Origin` whenever CORS is on, since the
 * answer depends on the origin, so no cache serves one origin's answer to another.
 */
export const corsResponseHeaders = (
  origin: string | undefined,
  allowedOrigins: readonly string[],
): Record<string, string> => {
  if (allowedOrigins.length === 0) return {};
  const allowed = allowedOrigin(origin, allowedOrigins);
  return allowed
    ? {
        'Access-Control-Allow-Origin': allowed,
        'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS.join(','),
        Vary: 'Origin',
      }
    : { Vary: 'Origin' };
};

/**
 * The answer to a preflight (`OPTIONS` with Access-Control-Request-Method), as the stack's
 * OPTIONS methods give it: 204 with the allowed origin, methods, headers and max age. A
 * disallowed origin gets no CORS headers (API Gateway answers it with the first allowed origin,
 * which the browser refuses just the same).
 */
export const corsPreflightHeaders = (
  origin: string | undefined,
  allowedOrigins: readonly string[],
  methods: readonly string[],
): Record<string, string> => {
  const allowed = allowedOrigin(origin, allowedOrigins);
  if (!allowed) return allowedOrigins.length ? { Vary: 'Origin' } : {};
  return {
    'Access-Control-Allow-Origin': allowed,
    'Access-Control-Allow-Methods': methods.join(','),
    'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS.join(','),
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
    Vary: 'Origin',
  };
};

/**
 * Every header of a preflight's answer, wherever it is made (the stack's OPTIONS methods, the local
 * API): its CORS headers and the security headers every other answer carries (lib/http/headers.ts).
 * It has no body, so no Content-Type; Access-Control-Max-Age, not Cache-Control, says how long a
 * browser keeps it.
 */
export const preflightAnswerHeaders = (
  origin: string | undefined,
  allowedOrigins: readonly string[],
  methods: readonly string[],
): Record<string, string> => ({ ...SECURITY_HEADERS, ...corsPreflightHeaders(origin, allowedOrigins, methods) });
