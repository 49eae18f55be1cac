import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readKeyRotationConfig, readSetting } from '#lib/function-config.ts';
import { SETTINGS } from '#lib/settings.ts';
import type { PublicKeysStore, SecretVersions } from '#lib/tokens/key-rotation.ts';
import { createKeySet, parseKeySet, publicJwks, type RetentionTimes } from '#lib/tokens/key-set.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';

/** Where `npm start` keeps its local key set (git-ignored), so tokens survive a restart. */
export const LOCAL_KEYS_FILE = '.local/signing-keys.json';
/** The local public JWKS, beside it: what the verifying functions read, as the public secret in AWS. */
export const LOCAL_PUBLIC_KEYS_FILE = '.local/public-keys.json';

/** Written whole or not at all (a rename), readable by you only: a reader never sees half a key set. */
const writeAtomically = (file: string, text: string) => {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
};

/** The local key set: read from the file, or made and written there (readable by you only). */
export const localSigningKeys = async (file = LOCAL_KEYS_FILE): Promise<string> => {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    parseKeySet(text);
    return text;
  }
  const text = JSON.stringify(await createKeySet());
  writeAtomically(file, text);
  return text;
};

/** The public JWKS of a local key set, as the setup and rotation write it into its own secret in AWS. */
export const localPublicKeys = (signingKeys: string, times?: RetentionTimes): string =>
  JSON.stringify(publicJwks(parseKeySet(signingKeys), times));

/**
 * The local key files as the key tools see Secrets Manager's (lib/tokens/key-rotation.ts), so
 * `npm run keys` runs the same code on them as on a deployed stack. A local set has one version
 * and no rotations.
 */
export const localKeyFiles = (
  signingFile = LOCAL_KEYS_FILE,
  publicFile = LOCAL_PUBLIC_KEYS_FILE,
): { versions: SecretVersions; publicKeys: PublicKeysStore; publicFile: string; signingFile: string } => {
  const noRotations = async (): Promise<never> => {
    throw new Error('Local key files have no rotations');
  };
  return {
    signingFile: resolve(signingFile),
    publicFile: resolve(publicFile),
    versions: {
      current: async () => ({ versionId: 'local', value: readFileSync(signingFile, 'utf8') }),
      putCurrent: async (value) => writeAtomically(signingFile, value),
      pending: async () => undefined,
      putPending: noRotations,
      promote: noRotations,
      rotationPending: async () => false,
    },
    publicKeys: { publish: async (jwks) => writeAtomically(publicFile, jwks) },
  };
};

/**
 * How long a retired local key stays published: RETIRED_KEY_RETAIN_SECONDS when set, else as the
 * stack sizes it, the token lifetime (TOKEN_TTL_SECONDS) plus the JWKS cache margin.
 */
export const localRetention = (env = process.env, nowSeconds = Math.floor(Date.now() / 1000)): RetentionTimes => ({
  nowSeconds,
  retainSeconds: env.RETIRED_KEY_RETAIN_SECONDS?.trim()
    ? readKeyRotationConfig(env).retiredKeyRetainSeconds
    : readSetting(env, SETTINGS.tokenTtlSeconds) + JWKS_CACHE_MARGIN_SECONDS,
});
