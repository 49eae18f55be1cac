import * as v from 'valibot';
import type { TokenSigner } from '#lib/tokens/signer.ts';
import { SafeUserSchema, toSafeUser, type UserItem } from '#lib/users/user.ts';
import { type DeviceTokens, MAX_DEVICE_TOKEN_LENGTH } from './device-token.ts';
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

/**
 * What a sign-in answers with: a token grant, and the device token of the client that signed in
 * (a new one, or the one it presented, renewed).
 */
export const LoginGrantSchema = v.strictObject({
  ...TokenGrantSchema.entries,
  deviceToken: v.pipe(
    v.string(),
    v.maxLength(MAX_DEVICE_TOKEN_LENGTH),
    v.description(
      "Opaque. Keep it (like the refresh token) and send it back as `deviceToken` with every later login to this account from this client: such a login is judged on this device's own failures, so an attacker who keeps the identifier locked does not keep you out. It ends after a few wrong passwords from it, when it expires (a year by default), or when every session of the user ends (or every session of every user).",
    ),
  ),
});

export type LoginGrant = v.InferOutput<typeof LoginGrantSchema>;

/** A session that started, the user item it started from (whose epoch it carries), and its global epoch. */
export interface StartedFor {
  user: UserItem;
  sessionId: string;
  refreshToken: string;
  /** The registered client the session is for; none means the default client. */
  clientId?: string | undefined;
  globalEpoch: number;
}

/**
 * The answer of a sign-in whose session started: the access token, the refresh token, the safe
 * user and this client's device token (the trusted device's own, renewed, or a new one). The one
 * place a sign-in's answer is made, whichever the proof (a password, a passkey).
 */
export type AnswerGrant = (started: StartedFor, deviceId?: string) => Promise<LoginGrant>;

export const createGrantAnswer =
  ({
    tokens,
    deviceTokens,
  }: {
    tokens: Pick<TokenSigner, 'sign' | 'ttlSeconds'>;
    deviceTokens: Pick<DeviceTokens, 'issue'>;
  }): AnswerGrant =>
  async ({ user, sessionId, refreshToken, clientId, globalEpoch }, deviceId) => {
    const [token, device] = await Promise.all([
      tokens.sign(user.id, sessionId, clientId),
      deviceTokens.issue({ id: user.id, sessionEpoch: user.sessionEpoch, globalEpoch }, deviceId),
    ]);
    return { token, refreshToken, expiresIn: tokens.ttlSeconds, user: toSafeUser(user), deviceToken: device.token };
  };
