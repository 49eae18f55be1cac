import { createKeySet, type KeySet, publicJwks } from '#lib/tokens/key-set.ts';

let shared: Promise<KeySet> | undefined;

/** One RSA key set per test file (2048-bit keys take a moment to make). */
export const testKeySet = (): Promise<KeySet> => {
  shared ??= createKeySet();
  return shared;
};

/** The environment a function needs for the test key set: the private set and its public JWKS. */
export const testKeyEnvironment = async (): Promise<{ SIGNING_KEYS: string; PUBLIC_KEYS: string }> => {
  const set = await testKeySet();
  return { SIGNING_KEYS: JSON.stringify(set), PUBLIC_KEYS: JSON.stringify(publicJwks(set)) };
};
