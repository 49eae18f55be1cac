import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createKeySet, parseKeySet, publicJwks } from '#lib/tokens/key-set.ts';

/** Where `npm start` keeps its local key set (git-ignored), so tokens survive a restart. */
export const LOCAL_KEYS_FILE = '.local/signing-keys.json';

/** The local key set: read from the file, or made and written there (readable by you only). */
export const localSigningKeys = async (file = LOCAL_KEYS_FILE): Promise<string> => {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    parseKeySet(text);
    return text;
  }
  const text = JSON.stringify(await createKeySet());
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  return text;
};

/** The public JWKS of a local key set, as the setup and rotation write it into its own secret in AWS. */
export const localPublicKeys = (signingKeys: string): string => JSON.stringify(publicJwks(parseKeySet(signingKeys)));
