/**
 * Errors the service can raise. Each carries the HTTP status it maps to and whether its
 * message may reach a client (`expose`), following Middy's convention: only errors below
 * 500 are exposed, and 503 only with its fixed, generic message. Like jose's errors, each class
 * has a stable `code` (on the class and on every instance) for callers to branch on, never the
 * message, and its `name` is the class's.
 */
export class AuthServiceError extends Error {
  static readonly code: string = 'ERR_AUTH_SERVICE';
  /** The class's code: `error.code === BadRequestError.code`. */
  readonly code: string;
  readonly statusCode: number = 500;
  readonly expose: boolean = false;
  /** Response headers that belong with this error (such as Retry-After). */
  readonly headers: Record<string, string> = {};

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // The bundles keep class names (infra/bundling.ts keepNames), so a log line names the class.
    this.name = new.target.name;
    this.code = (new.target as typeof AuthServiceError).code;
  }
}

/** The request is malformed; the message names the field and what is wrong with it. */
export class BadRequestError extends AuthServiceError {
  static override readonly code = 'ERR_BAD_REQUEST';
  override readonly statusCode = 400;
  override readonly expose = true;
}

/** The request is larger than any valid one; refused before it is parsed. */
export class PayloadTooLargeError extends AuthServiceError {
  static override readonly code = 'ERR_PAYLOAD_TOO_LARGE';
  override readonly statusCode = 413;
  override readonly expose = true;
}

/** The one answer for every credential failure, so a client cannot tell which part was wrong. */
export const INVALID_CREDENTIALS_MESSAGE = 'Invalid email, username or password';

export class InvalidCredentialsError extends AuthServiceError {
  static override readonly code = 'ERR_INVALID_CREDENTIALS';
  override readonly statusCode = 401;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(INVALID_CREDENTIALS_MESSAGE, options);
  }
}

/**
 * A request to a protected route without a valid bearer token. The same message for every reason
 * (missing, expired, tampered, wrong issuer); RFC 6750's WWW-Authenticate says which kind.
 */
export class UnauthorizedError extends AuthServiceError {
  static override readonly code = 'ERR_UNAUTHORIZED';
  override readonly statusCode = 401;
  override readonly expose = true;
  override readonly headers: Record<string, string>;

  constructor(message: string, wwwAuthenticate: string, options?: ErrorOptions) {
    super(message, options);
    this.headers = { 'WWW-Authenticate': wwwAuthenticate };
  }
}

/** The one answer for every refresh failure, so a client cannot tell unknown from ended from reused. */
export const INVALID_REFRESH_TOKEN_MESSAGE = 'Invalid or expired refresh token';

export class InvalidRefreshTokenError extends AuthServiceError {
  static override readonly code = 'ERR_INVALID_REFRESH_TOKEN';
  override readonly statusCode = 401;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(INVALID_REFRESH_TOKEN_MESSAGE, options);
  }
}

/** The same answer for a session that does not exist and for someone else's: no oracle for ids. */
export const SESSION_NOT_FOUND_MESSAGE = 'Session not found';

export class SessionNotFoundError extends AuthServiceError {
  static override readonly code = 'ERR_SESSION_NOT_FOUND';
  override readonly statusCode = 404;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(SESSION_NOT_FOUND_MESSAGE, options);
  }
}

/**
 * The one answer for every failed passkey sign-in (unknown credential, bad signature, wrong origin,
 * a spent or unknown challenge, a deleted passkey, a user that is gone), so it tells nothing.
 */
export const INVALID_PASSKEY_MESSAGE = 'Passkey sign-in failed';

export class InvalidPasskeyError extends AuthServiceError {
  static override readonly code = 'ERR_INVALID_PASSKEY';
  override readonly statusCode = 401;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(INVALID_PASSKEY_MESSAGE, options);
  }
}

/**
 * A registration whose response does not verify, whose challenge is spent, expired or not the
 * caller's, or whose credential is registered already (to anyone): one answer for all.
 */
export const PASSKEY_REGISTRATION_FAILED_MESSAGE = 'The passkey could not be verified; start the registration again';

export class PasskeyRegistrationError extends AuthServiceError {
  static override readonly code = 'ERR_PASSKEY_REGISTRATION';
  override readonly statusCode = 400;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(PASSKEY_REGISTRATION_FAILED_MESSAGE, options);
  }
}

export const PASSKEY_LIMIT_MESSAGE = 'Too many passkeys: delete one before adding another';

/** A registration that cannot be kept: the user has as many passkeys as allowed. */
export class PasskeyConflictError extends AuthServiceError {
  static override readonly code = 'ERR_PASSKEY_CONFLICT';
  override readonly statusCode = 409;
  override readonly expose = true;
}

/** The same answer for a passkey that does not exist and for someone else's. */
export const PASSKEY_NOT_FOUND_MESSAGE = 'Passkey not found';

export class PasskeyNotFoundError extends AuthServiceError {
  static override readonly code = 'ERR_PASSKEY_NOT_FOUND';
  override readonly statusCode = 404;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(PASSKEY_NOT_FOUND_MESSAGE, options);
  }
}

export const TOO_MANY_ATTEMPTS_MESSAGE = 'Too many failed attempts, try again later';

/** The identifier is throttled after repeated failures; Retry-After says for how long. */
export class TooManyAttemptsError extends AuthServiceError {
  static override readonly code = 'ERR_TOO_MANY_ATTEMPTS';
  override readonly statusCode = 429;
  override readonly expose = true;
  override readonly headers: Record<string, string>;

  constructor(retryAfterSeconds: number, options?: ErrorOptions) {
    super(TOO_MANY_ATTEMPTS_MESSAGE, options);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

export const SERVICE_UNAVAILABLE_MESSAGE = 'Service temporarily unavailable, please retry';

/** A dependency (DynamoDB, Secrets Manager) failed; the client gets a fixed message only. */
export class ServiceUnavailableError extends AuthServiceError {
  static override readonly code = 'ERR_SERVICE_UNAVAILABLE';
  override readonly statusCode = 503;
  override readonly expose = true;

  constructor(options?: ErrorOptions) {
    super(SERVICE_UNAVAILABLE_MESSAGE, options);
  }
}

/** The function is misconfigured; raised at start so a bad deploy fails fast and loudly. */
export class ConfigError extends AuthServiceError {
  static override readonly code = 'ERR_CONFIG';
}

/** Why a user administration command was refused. */
export type UserAdminReason =
  | 'invalid_input'
  | 'email_taken'
  | 'username_taken'
  | 'not_found'
  | 'ambiguous'
  | 'conflict';

/** A user administration command that cannot be done as asked; nothing was written. `reason` says why. */
export class UserAdminError extends AuthServiceError {
  static override readonly code = 'ERR_USER_ADMIN';
  readonly reason: UserAdminReason;

  constructor(reason: UserAdminReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
