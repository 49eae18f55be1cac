/**
 * Limits every AWS SDK client here shares: a dependency that is down or stalls costs a
 * request about three seconds at worst (three attempts of at most a second each, plus
 * backoff) before it becomes a 503, far inside the function's 10 s timeout. A healthy
 * DynamoDB Query or GetSecretValue answers in milliseconds.
 */
export const BOUNDED_CLIENT_CONFIG = {
  maxAttempts: 3,
  // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes, and
  // a stalled connection would hold the request until the Lambda timeout.
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
} as const;
