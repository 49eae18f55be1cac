import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import * as v from 'valibot';
import { JWKS_CACHE_MARGIN_SECONDS } from './key-timing.ts';
import type { PublicJwk, PublicJwks } from './public-jwks.ts';

/** RS256: the algorithm API Gateway's JWT authorizers and every OIDC library accept. */
export const SIGNING_ALGORITHM = 'RS256';

/**
 * A key's place in its life: `next` is published but does not sign yet (so verifiers' JWKS caches
 * hold it before its first token), `active` signs, `retired` still verifies tokens it signed.
 */
export type KeyStatus = 'next' | 'active' | 'retired';

/** The members of an RSA private JWK that only a key that may still sign needs. */
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

const PrivateJwkSchema = v.looseObject({
  kty: v.literal('RSA'),
  kid: v.pipe(v.string(), v.nonEmpty()),
  n: v.string(),
  e: v.string(),
  /** Present on the next and active keys; stripped once a key retires (it only verifies then). */
  d: v.optional(v.string()),
  p: v.optional(v.string()),
  q: v.optional(v.string()),
  dp: v.optional(v.string()),
  dq: v.optional(v.string()),
  qi: v.optional(v.string()),
  status: v.picklist(['next', 'active', 'retired']),
  /** Epoch seconds; set when a key is retired. */
  retiredAt: v.optional(v.number()),
  /**
   * Epoch seconds; when the key was first written to the public JWKS. Absent on keys made before
   * publish times were recorded: those were published long ago, at the latest when they were made.
   */
  publishedAt: v.optional(v.number()),
});

/** The key set as stored in the secret: private JWKs with their status, exactly one active. */
export const KeySetSchema = v.pipe(
  v.object({ keys: v.pipe(v.array(PrivateJwkSchema), v.minLength(1)) }),
  v.check((set) => set.keys.filter((key) => key.status === 'active').length === 1, 'exactly one key must be active'),
  v.check(
    (set) =>
      set.keys.every((key) => key.status === 'retired' || PRIVATE_MEMBERS.every((member) => key[member] !== undefined)),
    'the active and next keys must hold their private members',
  ),
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

/** A fresh 2048-bit RSA key, named by its RFC 7638 thumbprint, published at `nowSeconds`. */
export const generateKey = async (status: KeyStatus, nowSeconds: number): Promise<StoredKey> => {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return v.parse(PrivateJwkSchema, {
    ...jwk,
    kid,
    alg: SIGNING_ALGORITHM,
    // Stryker disable next-line StringLiteral: equivalent, nothing reads a stored key's use: the JWKS sets its own (toPublicJwk) and jose drops it on import
    use: 'sig',
    status,
    publishedAt: nowSeconds,
  });
};

const epochSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The first key set: one key that signs at once (no verifier has cached a JWKS of a service that
 * did not exist) and the next one, published from the start.
 */
export const createKeySet = async (nowSeconds = epochSeconds()): Promise<KeySet> => ({
  keys: [await generateKey('active', nowSeconds), await generateKey('next', nowSeconds)],
});

export interface RotationTimes {
  nowSeconds: number;
  /** How long a retired key stays published: the token lifetime plus the JWKS cache margin. */
  retainSeconds: number;
  /** How long a key must have been published before it signs; JWKS_CACHE_MARGIN_SECONDS. */
  publishedForSeconds?: number;
}

/** A rotated set, and whether the signer changed (see rotateKeySet). */
export interface RotatedKeySet {
  set: KeySet;
  promoted: boolean;
  /** Why the signer was kept, when it was; never key material. */
  reason?: string;
}

/**
 * One rotation: the next key starts signing, the active key retires and a new next key is
 * published; retired keys are dropped once every token they signed has expired and verifiers'
 * caches of the JWKS have refreshed (`retainSeconds` after retirement).
 *
 * A next key published less than `publishedForSeconds` ago (two rotations in a row) is not
 * promoted: verifiers holding a cached JWKS would reject its tokens. The active key keeps
 * signing and the set only loses its expired retired keys. A set without a next key gets one,
 * published now, and also keeps its signer: a key is never made active unpublished.
 */
export const rotateKeySet = async (
  set: KeySet,
  { nowSeconds, retainSeconds, publishedForSeconds = JWKS_CACHE_MARGIN_SECONDS }: RotationTimes,
): Promise<RotatedKeySet> => {
  const kept = pruneKeySet(set, { nowSeconds, retainSeconds }).keys;
  const next = kept.find((key) => key.status === 'next');
  if (!next) {
    return {
      set: { keys: [await generateKey('next', nowSeconds), ...kept] },
      promoted: false,
      reason: 'the key set had no next key; one is published now and signs from a later rotation',
    };
  }
  const publishedFor = nowSeconds - (next.publishedAt ?? 0);
  if (publishedFor < publishedForSeconds) {
    return {
      set: { keys: kept },
      promoted: false,
      reason: `the next key has been published for ${publishedFor} s, less than the ${publishedForSeconds} s verifiers may cache the JWKS`,
    };
  }
  const rotated = kept.map((key): StoredKey => {
    if (key.status === 'active') return retire(key, nowSeconds);
    if (key.status === 'next') return { ...key, status: 'active' };
    return key;
  });
  return { set: { keys: [await generateKey('next', nowSeconds), ...rotated] }, promoted: true };
};

/** A key that no longer signs: its status and time, and none of its private members. */
const retire = (key: StoredKey, nowSeconds: number): StoredKey =>
  publicOnly({ ...key, status: 'retired', retiredAt: nowSeconds });

const publicOnly = (key: StoredKey): StoredKey =>
  Object.fromEntries(
    Object.entries(key).filter(([member]) => !(PRIVATE_MEMBERS as readonly string[]).includes(member)),
  ) as StoredKey;

/** A retired key is published until `retainSeconds` after it retired, and not a second longer. */
const isRetained = (key: StoredKey, { nowSeconds, retainSeconds }: RetentionTimes): boolean =>
  key.status !== 'retired' || (key.retiredAt ?? 0) + retainSeconds > nowSeconds;

/** What decides which retired keys are still published. */
export type RetentionTimes = Pick<RotationTimes, 'nowSeconds' | 'retainSeconds'>;

/**
 * The set's upkeep, run on a schedule of its own (hourly) and by every rotation and revocation:
 * retired keys past their retention are dropped, and a retired key that still holds private
 * members (one retired before they were stripped) loses them. The next and active keys are kept
 * as they are. Returns the same set when there was nothing to do.
 */
export const pruneKeySet = (set: KeySet, times: RetentionTimes): KeySet => {
  const keys = set.keys
    .filter((key) => isRetained(key, times))
    .map((key) => (key.status === 'retired' ? publicOnly(key) : key));
  const changed =
    keys.length !== set.keys.length ||
    keys.some((key, index) => Object.keys(key).length !== Object.keys(set.keys[index] ?? {}).length);
  return changed ? { keys } : set;
};

/** What a revocation did, for the operator (never key material). */
export interface RevokedKeySet {
  set: KeySet;
  /** The kids no longer in the set (nor, once published, in the JWKS). */
  revoked: string[];
  /** The fresh key that signs from now on, when the active key was revoked. */
  activeKid: string;
}

/**
 * The emergency path for a leaked key: the `kids` named leave the set (and so the JWKS) at once.
 * When the active key is among them, a FRESH key is made and signs at once, without the usual
 * wait for verifiers' JWKS caches (they refuse its tokens until they refetch: the price of
 * containment), and the next key is replaced too: it was stored in the same secret value as the
 * active key, so whoever holds one holds the other. A next key named alone is replaced by a
 * fresh one. An unknown kid is an error, so a typo is never taken for a revocation.
 */
export const revokeKeys = async (set: KeySet, kids: string[], times: RetentionTimes): Promise<RevokedKeySet> => {
  const unknown = kids.filter((kid) => !set.keys.some((key) => key.kid === kid));
  if (unknown.length > 0) throw new Error(`No key with kid ${unknown.join(', ')} in the key set`);
  const active = activeKey(set);
  const revokesActive = kids.includes(active.kid);
  const revoked = new Set(kids);
  if (revokesActive) for (const key of set.keys) if (key.status === 'next') revoked.add(key.kid);
  const kept = pruneKeySet(set, times).keys.filter((key) => !revoked.has(key.kid));
  const fresh = revokesActive ? [await generateKey('active', times.nowSeconds)] : [];
  if (!kept.some((key) => key.status === 'next')) fresh.push(await generateKey('next', times.nowSeconds));
  const keys = [...fresh, ...kept];
  const result = { keys };
  return { set: result, revoked: [...revoked], activeKid: activeKey(result).kid };
};

/** The key that signs. */
export const activeKey = (set: KeySet): StoredKey => {
  const key = set.keys.find((candidate) => candidate.status === 'active');
  if (!key) throw new Error('Key set has no active key');
  return key;
};

/** Public members only, listed one by one, so no private member can ever be published. */
export const toPublicJwk = ({ kty, kid, n, e }: StoredKey): PublicJwk => ({
  kty,
  kid,
  n,
  e,
  alg: SIGNING_ALGORITHM,
  use: 'sig',
});

/**
 * The JWKS: every key that may verify a live token, the next and active keys and the retired keys
 * within their retention (`times`; without them, every retired key in the set, which the upkeep
 * keeps to the retained ones).
 */
export const publicJwks = (set: KeySet, times?: RetentionTimes): PublicJwks => ({
  keys: (times ? set.keys.filter((key) => isRetained(key, times)) : set.keys).map(toPublicJwk),
});
