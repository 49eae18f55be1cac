/**
 * The security headers of every answer, whoever makes it: the functions (the shared chain), API
 * Gateway's own responses (infra/constructs/auth-api.ts) and the local API. The API serves JSON
 * only, never HTML: nothing may be loaded, framed, sniffed or sent a referrer; HSTS for a year.
 */
export const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox",
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Applies to no-cors loads only (an <img> or <script> of another site); CORS reads are unaffected.
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/**
 * A JSON answer about one caller's credentials: never cached (RFC 6749 section 5.1 for token
 * responses; Pragma for HTTP/1.0 caches).
 */
export const NO_STORE_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
} as const;

/** Every answer but the public documents carries exactly these (plus CORS and its own, e.g. Retry-After). */
export const API_RESPONSE_HEADERS = { ...NO_STORE_HEADERS, ...SECURITY_HEADERS } as const;
