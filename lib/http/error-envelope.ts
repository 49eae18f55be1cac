import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HTTP_MESSAGES } from './messages.ts';
import { OAuthError } from './oauth.ts';
import { failure, jsonResponse } from './response.ts';

const BODY_PARSER = '@middy/http-json-body-parser';

interface HttpErrorLike {
  statusCode?: number;
  headers?: Record<string, string>;
  expose?: boolean;
  message?: string;
  cause?: { package?: string };
}

/** Rewords the JSON body parser's errors: a body that is not JSON is the client's 400, not a 422. */
const clientMessage = (error: HttpErrorLike): { statusCode: number; message: string } | undefined => {
  const { statusCode, expose, message = '' } = error;
  if (error.cause?.package === BODY_PARSER) {
    if (statusCode === 415) return { statusCode, message: HTTP_MESSAGES.unsupportedMediaType };
    if (message === 'Forbidden key in JSON body') return { statusCode: 400, message: HTTP_MESSAGES.forbiddenKey };
    return { statusCode: 400, message: HTTP_MESSAGES.invalidJson };
  }
  const exposed = expose ?? (statusCode !== undefined && statusCode < 500);
  return statusCode !== undefined && exposed ? { statusCode, message } : undefined;
};

/**
 * Turns any error into the contract's `{ ok: false, error }` envelope. Like Middy's
 * http-error-handler, only exposable errors keep their message; anything else is a 500 with a
 * generic message, and the error itself goes to the log, never to the client. (http-error-handler
 * itself answers with a text/plain message, which the contract does not allow.) Register it last.
 */
export const httpErrorEnvelope = ({
  logger,
  onErrorResponse,
}: {
  logger: Pick<Logger, 'error'>;
  /** Told of every error answer, with its status and the message the client gets. */
  onErrorResponse?: (statusCode: number, message: string) => void;
}): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: (request) => {
    if (request.response !== undefined) return;
    if (request.error instanceof OAuthError) {
      // RFC 6749 section 5.2's shape, still in the envelope: `error` is the standard's code.
      const { statusCode, oauthError, message, headers } = request.error;
      onErrorResponse?.(statusCode, oauthError);
      request.response = jsonResponse(
        statusCode,
        { ok: false, error: oauthError, error_description: message },
        headers,
      );
      return;
    }
    const error = (request.error ?? {}) as HttpErrorLike;
    const exposed = clientMessage(error);
    if (!exposed || exposed.statusCode >= 500) logger.error('Request failed', { error: request.error });
    const { statusCode, message } = exposed ?? { statusCode: 500, message: HTTP_MESSAGES.internal };
    onErrorResponse?.(statusCode, message);
    request.response = failure(statusCode, message, exposed ? error.headers : undefined);
  },
});

/** What the chain itself decided about a request: a body refused (400, 415), or a failure of ours (5xx). */
export type ChainOutcome = 'bad_input' | 'error';

/**
 * An `onErrorResponse` for a function whose use case records its own refusals (a 401, a 429):
 * it records the answers the chain gives instead, a refused body as `bad_input` with the reason
 * the client got, and any 5xx as `error`.
 */
export const recordChainOutcomes =
  (record: (outcome: ChainOutcome, details: { statusCode: number; reason?: string }) => void) =>
  (statusCode: number, reason: string): void => {
    if (statusCode === 400 || statusCode === 415) record('bad_input', { statusCode, reason });
    if (statusCode >= 500) record('error', { statusCode });
  };
