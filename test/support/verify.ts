import { createLocalJWKSet, jwtVerify } from 'jose';
import { publicJwks } from '#lib/tokens/key-set.ts';
import { testKeySet } from './keys.ts';

/** Verifies a token against the test key set's public keys, as any verifier of our JWKS would. */
export const verifyWithTestKeys = async (token: string, options: { issuer?: string; audience?: string } = {}) =>
  jwtVerify(token, createLocalJWKSet(publicJwks(await testKeySet())), {
    algorithms: ['RS256'],
    typ: 'at+jwt',
    ...options,
  });
