import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HTTP_MESSAGES } from './messages.ts';
import { failure } from './response.ts';

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
    const error = (request.error ?? {}) as HttpErrorLike;
    const exposed = clientMessage(error);
    if (!exposed || exposed.statusCode >= 500) logger.error('Request failed', { error: request.error });
    const { statusCode, message } = exposed ?? { statusCode: 500, message: HTTP_MESSAGES.internal };
    onErrorResponse?.(statusCode, message);
    request.response = failure(statusCode, message, exposed ? error.headers : undefined);
  },
});
