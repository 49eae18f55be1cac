import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { codeForStatus, type ErrorCode } from './error-codes.ts';
import { HTTP_MESSAGE_CODES, HTTP_MESSAGES } from './messages.ts';
import { OAuthError } from './oauth.ts';
import { failure, jsonResponse } from './response.ts';

const BODY_PARSER = '@middy/http-json-body-parser';

interface HttpErrorLike {
  /** The class's code of our own errors (lib/errors.ts), such as ERR_BAD_REQUEST. */
  code?: unknown;
  statusCode?: number;
  headers?: Record<string, string>;
  expose?: boolean;
  message?: string;
  cause?: { package?: string };
}

/** The answer's `code` for each of our error classes (lib/errors.ts), by the class's own code. */
const CLASS_CODES: Readonly<Record<string, ErrorCode>> = {
  ERR_BAD_REQUEST: 'invalid_request',
  ERR_PAYLOAD_TOO_LARGE: 'payload_too_large',
  ERR_INVALID_CREDENTIALS: 'invalid_credentials',
  ERR_INVALID_REFRESH_TOKEN: 'invalid_refresh_token',
  ERR_SESSION_NOT_FOUND: 'not_found',
  ERR_INVALID_PASSKEY: 'invalid_passkey',
  ERR_PASSKEY_REGISTRATION: 'passkey_not_verified',
  ERR_PASSKEY_CONFLICT: 'passkey_conflict',
  ERR_PASSKEY_NOT_FOUND: 'not_found',
  ERR_TOO_MANY_ATTEMPTS: 'too_many_attempts',
  ERR_SERVICE_UNAVAILABLE: 'service_unavailable',
};

/**
 * The code of an exposed error: its class's, or for a 401 of bearer auth the kind RFC 6750's
 * challenge names (`error="invalid_token"` when a token was sent, none when it was missing), or
 * the status's.
 */
const errorCode = (error: HttpErrorLike, statusCode: number): ErrorCode => {
  if (error.code === 'ERR_UNAUTHORIZED') {
    const challenge = error.headers?.['WWW-Authenticate'] ?? '';
    if (challenge.includes('error="insufficient_user_authentication"')) return 'insufficient_user_authentication';
    return challenge.includes('error="invalid_token"') ? 'invalid_token' : 'token_required';
  }
  return (typeof error.code === 'string' && CLASS_CODES[error.code]) || codeForStatus(statusCode);
};

type ClientAnswer = { statusCode: number; message: string; code: ErrorCode };

/** Rewords the JSON body parser's errors: a body that is not JSON is the client's 400, not a 422. */
const clientMessage = (error: HttpErrorLike): ClientAnswer | undefined => {
  const { statusCode, expose, message = '' } = error;
  if (error.cause?.package === BODY_PARSER) {
    const name =
      statusCode === 415
        ? 'unsupportedMediaType'
        : message === 'Forbidden key in JSON body'
          ? 'forbiddenKey'
          : 'invalidJson';
    return { statusCode: statusCode === 415 ? 415 : 400, message: HTTP_MESSAGES[name], code: HTTP_MESSAGE_CODES[name] };
  }
  const exposed = expose ?? (statusCode !== undefined && statusCode < 500);
  return statusCode !== undefined && exposed ? { statusCode, message, code: errorCode(error, statusCode) } : undefined;
};

/**
 * Turns any error into the contract's `{ ok: false, error, code }` envelope (the code from
 * lib/http/error-codes.ts). Like Middy's
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
        { ok: false, error: oauthError, error_description: message, code: oauthError },
        headers,
      );
      return;
    }
    const error = (request.error ?? {}) as HttpErrorLike;
    const exposed = clientMessage(error);
    if (!exposed || exposed.statusCode >= 500) logger.error('Request failed', { error: request.error });
    const { statusCode, message, code } = exposed ?? {
      statusCode: 500,
      message: HTTP_MESSAGES.internal,
      code: HTTP_MESSAGE_CODES.internal,
    };
    onErrorResponse?.(statusCode, message);
    request.response = failure(statusCode, { error: message, code }, exposed ? error.headers : undefined);
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
