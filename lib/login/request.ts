import * as v from 'valibot';
import { BadRequestError } from '#lib/errors.ts';
import { jsonObjectBody } from '#lib/json-body.ts';
import { MAX_DEVICE_TOKEN_LENGTH } from '#lib/sessions/device-token.ts';
import { toIdentifier, type UserIdentifier } from '#lib/users/identifier.ts';

/** Longest identifier accepted: the longest valid email address (RFC 5321 path limit). */
export const MAX_IDENTIFIER_LENGTH = 254;
/**
 * Longest password accepted before any bcrypt work. With the body limit that every valid login fits
 * in (lib/http/body-limit.ts), it bounds the cost of a request.
 */
export const MAX_PASSWORD_LENGTH = 1024;

/** Unicode "Cc": C0 and C1 controls and DEL; no email or username contains one. */
const CONTROL_CHARACTERS = /\p{Cc}/u;

const field = (name: string, maxLength: number) =>
  v.pipe(
    v.string(`${name} must be a string`),
    v.maxLength(maxLength, `${name} must be at most ${maxLength} characters`),
    v.nonEmpty(`${name} must not be empty`),
    v.check((value) => value.trim() !== '', `${name} must not be blank`),
  );

/** The login body as the published contract defines it; extra keys are ignored. */
export const LoginRequestSchema = v.object({
  emailOrUsername: v.pipe(
    field('emailOrUsername', MAX_IDENTIFIER_LENGTH),
    v.check((value) => !CONTROL_CHARACTERS.test(value), 'emailOrUsername must not contain control characters'),
  ),
  password: field('password', MAX_PASSWORD_LENGTH),
  /**
   * Optional. Of the right shape (a string no longer than a device token can be), it is never
   * refused: one that fails any check is ignored, and the login is judged as untrusted.
   */
  deviceToken: v.optional(
    v.pipe(
      v.string('deviceToken must be a string'),
      v.maxLength(MAX_DEVICE_TOKEN_LENGTH, `deviceToken must be at most ${MAX_DEVICE_TOKEN_LENGTH} characters`),
      v.nonEmpty('deviceToken must not be empty'),
    ),
  ),
  /** Optional: the registered client signing in (CLIENT_IDS); the default client when absent. */
  clientId: v.optional(
    v.pipe(v.string('clientId must be a string'), v.regex(/^[\w.-]{1,64}$/, 'clientId is not a registered client')),
  ),
});

export interface LoginRequest {
  identifier: UserIdentifier;
  password: string;
  /** The device token this client was given at an earlier sign-in, if it sent one. */
  deviceToken?: string | undefined;
  /** The registered client it names, if any (checked against CLIENT_IDS by the handler). */
  clientId?: string | undefined;
}

/**
 * Validates a parsed JSON body at the boundary, so the domain only sees typed data.
 * Throws BadRequestError with a message naming the first field that is wrong.
 */
export const parseLoginRequest = (body: unknown): LoginRequest => {
  const fields = jsonObjectBody(body, ['emailOrUsername', 'password']);
  const result = v.safeParse(LoginRequestSchema, fields);
  if (!result.success) throw new BadRequestError(result.issues[0].message);
  const { emailOrUsername, password, deviceToken, clientId } = result.output;
  return {
    identifier: toIdentifier(emailOrUsername),
    password,
    ...(deviceToken !== undefined && { deviceToken }),
    ...(clientId !== undefined && { clientId }),
  };
};
