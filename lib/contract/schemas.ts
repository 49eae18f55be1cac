import * as v from 'valibot';
import { LoginGrantSchema, TokenGrantSchema } from '#lib/sessions/grant.ts';
import { SessionViewSchema } from '#lib/sessions/manage.ts';
import { SafeUserSchema } from '#lib/users/user.ts';
import { successEnvelope } from './envelopes.ts';

/** The answer of a login and of a refresh: token, refresh token, lifetime, safe user. */
export const TokenGrantResponseSchema = successEnvelope(TokenGrantSchema);

/** The answer of a login: a token grant and the client's device token. */
export const LoginGrantResponseSchema = successEnvelope(LoginGrantSchema);

/** `{ ok: true, data: {} }`: done, nothing to tell (logout, logout everywhere, ending a session). */
export const DoneResponseSchema = successEnvelope(v.strictObject({}));

export const SessionsResponseSchema = successEnvelope(
  v.strictObject({ sessions: v.pipe(v.array(SessionViewSchema), v.description('Live sessions, newest first.')) }),
);

export const MeResponseSchema = successEnvelope(v.strictObject({ user: SafeUserSchema }));

export const DiscoverySchema = v.strictObject({
  issuer: v.string(),
  jwks_uri: v.string(),
  response_types_supported: v.array(v.string()),
  subject_types_supported: v.array(v.string()),
  id_token_signing_alg_values_supported: v.array(v.string()),
});

/** `openapi.json` itself: the contract says only that it is an OpenAPI document. */
export const OpenApiDocumentSchema = v.pipe(v.looseObject({ openapi: v.string() }));
