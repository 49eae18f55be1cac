import * as v from 'valibot';
import { BadRequestError } from '#lib/errors.ts';
import { jsonObjectBody } from '#lib/json-body.ts';
import { MAX_REFRESH_TOKEN_LENGTH } from './refresh-token.ts';

/** The body of `POST /api/auth/refresh` and of a logout by refresh token; extra keys are ignored. */
export const RefreshRequestSchema = v.object({
  refreshToken: v.pipe(
    v.string('refreshToken must be a string'),
    v.maxLength(MAX_REFRESH_TOKEN_LENGTH, `refreshToken must be at most ${MAX_REFRESH_TOKEN_LENGTH} characters`),
    v.nonEmpty('refreshToken must not be empty'),
  ),
});

/**
 * Validates a parsed JSON body at the boundary and returns the refresh token. Throws
 * BadRequestError naming what is wrong; says nothing about whether the token is genuine.
 */
export const parseRefreshRequest = (body: unknown): string => {
  const result = v.safeParse(RefreshRequestSchema, jsonObjectBody(body, ['refreshToken']));
  if (!result.success) throw new BadRequestError(result.issues[0].message);
  return result.output.refreshToken;
};
