import { describe, expect, it } from 'vitest';
import * as errors from '#lib/errors.ts';
import { AuthServiceError } from '#lib/errors.ts';

const errorClasses = Object.values(errors).filter(
  (value): value is typeof AuthServiceError =>
    typeof value === 'function' && (value === AuthServiceError || value.prototype instanceof AuthServiceError),
);

describe('the service errors', () => {
  it('each have a code of their own, so callers can tell them apart by it', () => {
    expect(errorClasses.length).toBeGreaterThan(5);
    const codes = errorClasses.map((errorClass) => errorClass.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^ERR_[A-Z_]+$/);
  });

  it('carry their class name and code on every instance, with the cause', () => {
    const cause = new Error('the SDK said no');
    const error = new errors.ServiceUnavailableError({ cause });
    expect(error).toBeInstanceOf(AuthServiceError);
    expect(error).toMatchObject({ name: 'ServiceUnavailableError', code: 'ERR_SERVICE_UNAVAILABLE', cause });
    expect(new errors.BadRequestError('password is required')).toMatchObject({
      name: 'BadRequestError',
      code: errors.BadRequestError.code,
      message: 'password is required',
      statusCode: 400,
    });
    expect(new errors.UserAdminError('email_taken', 'that email is already registered')).toMatchObject({
      name: 'UserAdminError',
      code: 'ERR_USER_ADMIN',
      reason: 'email_taken',
    });
  });
});
