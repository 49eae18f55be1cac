/**
 * Errors the service can raise. Each carries the HTTP status it maps to and whether its
 * message may reach a client (`expose`), following Middy's convention: only errors below
 * 500 are exposed, and 503 only with its fixed, generic message.
 */
export class AuthServiceError extends Error {
  readonly statusCode: number = 500;
  readonly expose: boolean = false;
  /** Response headers that belong with this error (such as Retry-After). */
  readonly headers: Record<string, string> = {};

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuthServiceError';
  }
}

/** The request is malformed; the message names the field and what is wrong with it. */
export class BadRequestError extends AuthServiceError {
  override readonly statusCode = 400;
  override readonly expose = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BadRequestError';
  }
}

/** The request is larger than any valid one; refused before it is parsed. */
export class PayloadTooLargeError extends AuthServiceError {
  override readonly statusCode = 413;
  override readonly expose = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** The one answer for every credential failure, so a client cannot tell which part was wrong. */
export const INVALID_CREDENTIALS_MESSAGE = 'Invalid email, username or password';

export class InvalidCredentialsError extends AuthServiceError {
  override readonly statusCode = 401;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(INVALID_CREDENTIALS_MESSAGE, options);
    this.name = 'InvalidCredentialsError';
  }
}

/**
 * A request to a protected route without a valid bearer token. The same message for every reason
 * (missing, expired, tampered, wrong issuer); RFC 6750's WWW-Authenticate says which kind.
 */
export class UnauthorizedError extends AuthServiceError {
  override readonly statusCode = 401;
  override readonly expose = true;
  override readonly headers: Record<string, string>;

  constructor(message: string, wwwAuthenticate: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnauthorizedError';
    this.headers = { 'WWW-Authenticate': wwwAuthenticate };
  }
}

/**
 * A bearer token that fails a check of ours beyond jose's own (a claim of the wrong type, say).
 * The bearer middleware answers it like jose's verification failures: 401, never 5xx.
 */
export class InvalidTokenError extends AuthServiceError {
  static readonly code = 'ERR_INVALID_TOKEN';
  readonly code = InvalidTokenError.code;
  override readonly statusCode = 401;
  override readonly expose = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidTokenError';
  }
}

/** The one answer for every refresh failure, so a client cannot tell unknown from ended from reused. */
export const INVALID_REFRESH_TOKEN_MESSAGE = 'Invalid or expired refresh token';

export class InvalidRefreshTokenError extends AuthServiceError {
  override readonly statusCode = 401;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(INVALID_REFRESH_TOKEN_MESSAGE, options);
    this.name = 'InvalidRefreshTokenError';
  }
}

/** The same answer for a session that does not exist and for someone else's: no oracle for ids. */
export const SESSION_NOT_FOUND_MESSAGE = 'Session not found';

export class SessionNotFoundError extends AuthServiceError {
  override readonly statusCode = 404;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(SESSION_NOT_FOUND_MESSAGE, options);
    this.name = 'SessionNotFoundError';
  }
}

export const TOO_MANY_ATTEMPTS_MESSAGE = 'Too many failed attempts, try again later';

/** The identifier is throttled after repeated failures; Retry-After says for how long. */
export class TooManyAttemptsError extends AuthServiceError {
  override readonly statusCode = 429;
  override readonly expose = true;
  override readonly headers: Record<string, string>;

  constructor(retryAfterSeconds: number, options?: ErrorOptions) {
    super(TOO_MANY_ATTEMPTS_MESSAGE, options);
    this.name = 'TooManyAttemptsError';
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

export const SERVICE_UNAVAILABLE_MESSAGE = 'Service temporarily unavailable, please retry';

/** A dependency (DynamoDB, Secrets Manager) failed; the client gets a fixed message only. */
export class ServiceUnavailableError extends AuthServiceError {
  override readonly statusCode = 503;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(SERVICE_UNAVAILABLE_MESSAGE, options);
    this.name = 'ServiceUnavailableError';
  }
}

/** The function is misconfigured; raised at start so a bad deploy fails fast and loudly. */
export class ConfigError extends AuthServiceError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Why a user administration command was refused; `code` is stable for scripts and tests. */
export type UserAdminErrorCode =
  | 'invalid_input'
  | 'email_taken'
  | 'username_taken'
  | 'not_found'
  | 'ambiguous'
  | 'conflict';

/** A user administration command that cannot be done as asked; nothing was written. */
export class UserAdminError extends AuthServiceError {
  readonly code: UserAdminErrorCode;

  constructor(code: UserAdminErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserAdminError';
    this.code = code;
  }
}
