import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as v from 'valibot';

/** RS256: the algorithm API Gateway's JWT authorizers and every OIDC library accept. */
export const SIGNING_ALGORITHM = 'RS256';

/**
 * A key's place in its life: `next` is published but does not sign yet (so verifiers' JWKS caches
 * hold it before its first token), `active` signs, `retired` still verifies tokens it signed.
 */
export type KeyStatus = 'next' | 'active' | 'retired';

const PrivateJwkSchema = v.looseObject({
  kty: v.literal('RSA'),
  kid: v.pipe(v.string(), v.nonEmpty()),
  n: v.string(),
  e: v.string(),
  d: v.string(),
  p: v.string(),
  q: v.string(),
  dp: v.string(),
  dq: v.string(),
  qi: v.string(),
  status: v.picklist(['next', 'active', 'retired']),
  /** Epoch seconds; set when a key is retired. */
  retiredAt: v.optional(v.number()),
});

/** The key set as stored in the secret: private JWKs with their status, exactly one active. */
export const KeySetSchema = v.pipe(
  v.object({ keys: v.pipe(v.array(PrivateJwkSchema), v.minLength(1)) }),
  v.check((set) => set.keys.filter((key) => key.status === 'active').length === 1, 'exactly one key must be active'),
);

export type StoredKey = v.InferOutput<typeof PrivateJwkSchema>;
export type KeySet = v.InferOutput<typeof KeySetSchema>;

/** Parses a stored key set; throws with a message that never contains key material. */
export const parseKeySet = (text: string): KeySet => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('Key set is not JSON');
  }
  const result = v.safeParse(KeySetSchema, json);
  if (!result.success) throw new Error(`Key set is invalid: ${result.issues[0].message}`);
  return result.output;
};

/** A fresh 2048-bit RSA key, named by its RFC 7638 thumbprint. */
export const generateKey = async (status: KeyStatus): Promise<StoredKey> => {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return v.parse(PrivateJwkSchema, { ...jwk, kid, alg: SIGNING_ALGORITHM, use: 'sig', status });
};

/** The first key set: one key that signs and the next one, already published. */
export const createKeySet = async (): Promise<KeySet> => ({
  keys: [await generateKey('active'), await generateKey('next')],
});

/**
 * One rotation: the next key starts signing, the active key retires, a new next key is made, and
 * retired keys are dropped once every token they signed has expired and verifiers' caches of the
 * JWKS have refreshed (`retainSeconds` after retirement).
 */
export const rotateKeySet = async (set: KeySet, nowSeconds: number, retainSeconds: number): Promise<KeySet> => {
  const kept = set.keys.filter((key) => key.status !== 'retired' || (key.retiredAt ?? 0) + retainSeconds > nowSeconds);
  const hasNext = kept.some((key) => key.status === 'next');
  const rotated = kept.map((key): StoredKey => {
    if (key.status === 'active') return { ...key, status: 'retired', retiredAt: nowSeconds };
    if (key.status === 'next') return { ...key, status: 'active' };
    return key;
  });
  // A set that somehow lost its next key still rotates: a fresh key becomes active at once.
  const promoted = hasNext ? rotated : [...rotated, await generateKey('active')];
  return { keys: [await generateKey('next'), ...promoted] };
};

/** The key that signs. */
export const activeKey = (set: KeySet): StoredKey => {
  const key = set.keys.find((candidate) => candidate.status === 'active');
  if (!key) throw new Error('Key set has no active key');
  return key;
};

/** Public members only, listed one by one, so no private member can ever be published. */
export const toPublicJwk = ({ kty, kid, n, e }: StoredKey): JWK => ({
  kty,
  kid,
  n,
  e,
  alg: SIGNING_ALGORITHM,
  use: 'sig',
});

/** The JWKS: every key that may verify a live token (next, active and retained retired keys). */
export const publicJwks = (set: KeySet): { keys: JWK[] } => ({ keys: set.keys.map(toPublicJwk) });
