import { AuthServiceError, ServiceUnavailableError } from '#lib/errors.ts';

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
]);

/**
 * True for failures worth a retry by the client: throttling, DynamoDB's own 5xx, and network
 * or timeout errors (which carry no HTTP status). Anything else is our bug or misconfiguration
 * (a missing table, a denied action).
 */
export const isTransient = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return THROTTLING_ERRORS.has(error.name) || status === undefined || status >= 500;
};

/** Maps an SDK failure to a 503 (transient) or a 500 (anything else), keeping it as the cause. */
export const toStoreError =
  (message: string) =>
  (error: unknown): never => {
    if (isTransient(error)) throw new ServiceUnavailableError({ cause: error });
    throw new AuthServiceError(message, { cause: error });
  };
