import { createKeySet, type KeySet } from '#lib/tokens/key-set.ts';

let shared: Promise<KeySet> | undefined;

/** One RSA key set per test file (2048-bit keys take a moment to make). */
export const testKeySet = (): Promise<KeySet> => {
  shared ??= createKeySet();
  return shared;
};
