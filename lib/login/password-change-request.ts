import * as v from 'valibot';
import { BadRequestError } from '#lib/errors.ts';
import { jsonObjectBody } from '#lib/json-body.ts';
import { MAX_PASSWORD_LENGTH } from './request.ts';

const password = (name: string) =>
  v.pipe(
    v.string(`${name} must be a string`),
    v.maxLength(MAX_PASSWORD_LENGTH, `${name} must be at most ${MAX_PASSWORD_LENGTH} characters`),
    v.nonEmpty(`${name} must not be empty`),
  );

/** The body of `POST /api/auth/password`; extra keys are ignored. */
export const PasswordChangeRequestSchema = v.object({
  currentPassword: password('currentPassword'),
  newPassword: password('newPassword'),
});

export type PasswordChangeRequest = v.InferOutput<typeof PasswordChangeRequestSchema>;

/**
 * Validates a parsed JSON body at the boundary. Throws BadRequestError naming the first field that
 * is wrong. The password rules themselves (length, blocklist) are the policy's, not the shape's.
 */
export const parsePasswordChangeRequest = (input: unknown): PasswordChangeRequest => {
  const body = jsonObjectBody(input, ['currentPassword', 'newPassword']);
  const result = v.safeParse(PasswordChangeRequestSchema, body);
  if (!result.success) throw new BadRequestError(result.issues[0].message);
  return result.output;
};
