import * as v from 'valibot';

/**
 * One published key: exactly the public members of an RS256 signing key. A strict object, so a
 * value that carries a private member (a private key set written to the wrong secret) is refused
 * instead of served.
 */
const PublicJwkSchema = v.strictObject({
  kty: v.literal('RSA'),
  kid: v.pipe(v.string(), v.nonEmpty()),
  n: v.pipe(v.string(), v.nonEmpty()),
  e: v.pipe(v.string(), v.nonEmpty()),
  alg: v.literal('RS256'),
  use: v.literal('sig'),
});

/** The public JWKS as the setup and rotation steps store it and `/.well-known/jwks.json` serves it. */
export const PublicJwksSchema = v.strictObject({
  keys: v.pipe(v.array(PublicJwkSchema), v.minLength(1)),
});

export type PublicJwk = v.InferOutput<typeof PublicJwkSchema>;
export type PublicJwks = v.InferOutput<typeof PublicJwksSchema>;

/** Parses a stored public JWKS; throws with a message that never echoes the value. */
export const parsePublicJwks = (text: string): PublicJwks => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('Public JWKS is not JSON');
  }
  const result = v.safeParse(PublicJwksSchema, json);
  if (!result.success) throw new Error(`Public JWKS is invalid: ${result.issues[0].message}`);
  return result.output;
};
