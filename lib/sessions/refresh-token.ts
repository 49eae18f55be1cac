import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveFromSecret, type SecretReader } from '#lib/aws/secrets.ts';

/**
 * A refresh token is `<session id>.<generation>.<key id>.<MAC>`: the MAC is HMAC-SHA256, under
 * the refresh key the key id names (a secret the table never sees), of the session id, the
 * generation and the session's random salt. Nothing of it is stored: the table holds the salt and
 * the current generation, and a reader of the table cannot make a MAC without the key. A retry can
 * be answered with the current token again, because the token follows from what is stored plus
 * the key.
 *
 * The refresh key's secret holds one key, or several separated by whitespace during a rotation:
 * the first makes every new token, and every one listed still verifies the tokens it made (the key
 * id, derived from the key, says which). Tokens from before key ids (`<session id>.<generation>.<MAC>`)
 * are checked against each listed key. See docs/operations.md for the rotation.
 */
export interface RefreshTokenParts {
  sessionId: string;
  generation: number;
}

/** A presented token's parts: its key id is absent on tokens made before key ids. */
export type PresentedRefreshToken = RefreshTokenParts & { mac: string; keyId?: string | undefined };

/** Keys listed in the secret at most: bounded work for a token without a key id. */
export const MAX_REFRESH_KEYS = 3;

/** 48 bits of HMAC-SHA256 of a fixed label under the key, base64url: 8 characters. */
const KEY_ID_BYTES = 6;

/** Longest refresh token the API reads; a real one is about 70 characters. */
export const MAX_REFRESH_TOKEN_LENGTH = 512;

/** 128 random bits, base64url: 22 characters. */
const SESSION_ID_BYTES = 16;
/** 256 random bits per session, as the MAC's secret input beside the key. */
const SALT_BYTES = 32;

/** HMAC-SHA256's output. */
const MAC_BYTES = 32;

/** A pattern for `bytes` bytes in unpadded base64url: 4 characters for every 3 bytes, rounded up. */
const base64urlOf = (bytes: number) => `[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}`;

const SESSION_ID = base64urlOf(SESSION_ID_BYTES);
const SESSION_ID_PATTERN = new RegExp(`^${SESSION_ID}$`);
const TOKEN_PATTERN = new RegExp(
  `^(${SESSION_ID})\\.(0|[1-9][0-9]{0,8})\\.(?:(${base64urlOf(KEY_ID_BYTES)})\\.)?(${base64urlOf(MAC_BYTES)})$`,
);

/** A new, random session id. */
export const newSessionId = (): string => randomBytes(SESSION_ID_BYTES).toString('base64url');

/** True when `id` has the shape of a session id; anything else cannot name one, and costs no read. */
export const isSessionId = (id: string): boolean => SESSION_ID_PATTERN.test(id);

/** A new, random per-session salt. */
export const newSessionSalt = (): string => randomBytes(SALT_BYTES).toString('base64url');

/** The parts of a token in the right shape, or `undefined`; says nothing about whether it is genuine. */
export const parseRefreshToken = (token: string): PresentedRefreshToken | undefined => {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const [, sessionId, generation, keyId, mac] = match as unknown as [
    string,
    string,
    string,
    string | undefined,
    string,
  ];
  return { sessionId, generation: Number(generation), mac, keyId };
};

/**
 * The keys a refresh key secret lists, the current one first, separated by whitespace (a trailing
 * newline, two spaces: never an empty key), at most MAX_REFRESH_KEYS.
 */
export const refreshKeysOf = (secret: string): string[] =>
  secret
    .split(/\s/)
    .filter((key) => key !== '')
    .slice(0, MAX_REFRESH_KEYS);

/** The id of a refresh key, derived from it: tokens name the key they were made under. */
export const refreshKeyId = (key: Buffer): string =>
  createHmac('sha256', key)
    .update('movie-knight-refresh-key-id/v1')
    .digest()
    .subarray(0, KEY_ID_BYTES)
    .toString('base64url');

export interface RefreshTokens {
  /** The token for this generation of the session with this salt. */
  issue(parts: RefreshTokenParts, salt: string): Promise<string>;
  /**
   * True when the token's MAC is the one `issue` makes for its parts and this salt under the key
   * its key id names (constant time); a token without a key id, under any listed key. A key id
   * no listed key has is refused after the same MAC work.
   */
  matches(token: PresentedRefreshToken, salt: string): Promise<boolean>;
}

/** Refresh tokens under the keys `read` returns (Secrets Manager in AWS, a value locally). */
export const createRefreshTokens = (read: SecretReader): RefreshTokens => {
  const keys = deriveFromSecret(read, async (secret) =>
    refreshKeysOf(secret).map((value) => {
      const key = Buffer.from(value);
      return { id: refreshKeyId(key), key };
    }),
  );
  const mac = (key: Buffer, { sessionId, generation }: RefreshTokenParts, salt: string): Buffer =>
    createHmac('sha256', key)
      // A label, and separators no part can contain, so that no two inputs run together.
      .update(`movie-knight-refresh-token/v1\n${sessionId}\n${generation}\n${salt}`)
      .digest();
  const equal = (presented: Buffer, expected: Buffer) =>
    // Stryker disable next-line ConditionalExpression: equivalent, the token pattern admits only 32-byte MACs; kept so that a looser pattern fails closed, not with timingSafeEqual's RangeError
    presented.length === expected.length && timingSafeEqual(presented, expected);
  return {
    async issue(parts, salt) {
      const [current] = await keys();
      if (!current) throw new Error('The refresh key secret lists no key');
      return `${parts.sessionId}.${parts.generation}.${current.id}.${mac(current.key, parts, salt).toString('base64url')}`;
    },
    async matches(token, salt) {
      const listed = await keys();
      const presented = Buffer.from(token.mac, 'base64url');
      if (token.keyId === undefined) {
        // From before key ids: every listed key is tried, all of them, whatever matched first.
        return listed.map(({ key }) => equal(presented, mac(key, token, salt))).some(Boolean);
      }
      const named = listed.find(({ id }) => id === token.keyId);
      // A key that is gone (or never was): the same MAC work, under the current key, and no.
      const expected = mac((named ?? listed[0])?.key ?? Buffer.alloc(32), token, salt);
      return equal(presented, expected) && named !== undefined;
    },
  };
};
