import * as v from 'valibot';
import { SafeUserSchema } from '#lib/users/user.ts';
import { MAX_REFRESH_TOKEN_LENGTH } from './refresh-token.ts';

/**
 * What a login and a refresh answer with. The published contract (openapi.json) is generated from
 * this schema and the types of both results are inferred from it; strict, so a field added to
 * either answer but not here fails the contract tests.
 */
export const TokenGrantSchema = v.strictObject({
  token: v.pipe(
    v.string(),
    v.description('An RS256 JWT access token (RFC 9068): send it as `Authorization: Bearer`; verify it with the JWKS.'),
  ),
  refreshToken: v.pipe(
    v.string(),
    v.maxLength(MAX_REFRESH_TOKEN_LENGTH),
    v.description(
      'Opaque. Trade it at `POST /api/auth/refresh` for a new token and refresh token (this one is then spent), or end its session at `POST /api/auth/logout`. Keep it as secret as a password.',
    ),
  ),
  expiresIn: v.pipe(v.number(), v.integer(), v.minValue(1), v.description('Seconds until `token` expires.')),
  user: SafeUserSchema,
});

export type TokenGrant = v.InferOutput<typeof TokenGrantSchema>;
