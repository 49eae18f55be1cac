import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { AuthServiceError, ServiceUnavailableError } from '#lib/errors.ts';

type SdkError = Parameters<typeof isTransientError>[0];

/** The error and its causes, outermost first, so an SDK error wrapped in another still counts. */
const causes = function* (error: unknown): Generator<Error> {
  for (let depth = 0; error instanceof Error && depth < 10; depth += 1) {
    yield error;
    error = error.cause;
  }
};

/**
 * True for failures worth a retry by the client, as the AWS SDK's own retry strategy decides:
 * throttling, a service's 5xx, timeouts and network errors (a refused or reset connection).
 * Anything else is our bug or misconfiguration (a marshalling TypeError, missing credentials,
 * a missing table, a denied action) and must not be hidden behind "please retry".
 */
export const isTransient = (error: unknown): boolean =>
  [...causes(error)].some((cause) => {
    const sdkError = cause as SdkError;
    return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
  });

/** Maps an SDK failure to a 503 (transient) or a 500 (anything else), keeping it as the cause. */
export const toServiceError = (message: string, error: unknown): AuthServiceError =>
  isTransient(error) ? new ServiceUnavailableError({ cause: error }) : new AuthServiceError(message, { cause: error });

/** `.catch(toStoreError('...'))`: throws the mapped error of a failed DynamoDB call. */
export const toStoreError =
  (message: string) =>
  (error: unknown): never => {
    throw toServiceError(message, error);
  };
