import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveFromSecret, type SecretReader } from '#lib/aws/secrets.ts';

/**
 * A refresh token is `<session id>.<generation>.<MAC>`: the MAC is HMAC-SHA256, under the refresh
 * key (a secret the table never sees), of the session id, the generation and the session's random
 * salt. Nothing of it is stored: the table holds the salt and the current generation, and a reader
 * of the table cannot make a MAC without the key. A retry can be answered with the current token
 * again, because the token follows from what is stored plus the key.
 */
export interface RefreshTokenParts {
  sessionId: string;
  generation: number;
}

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
const TOKEN_PATTERN = new RegExp(`^(${SESSION_ID})\\.(0|[1-9][0-9]{0,8})\\.(${base64urlOf(MAC_BYTES)})$`);

/** A new, random session id. */
export const newSessionId = (): string => randomBytes(SESSION_ID_BYTES).toString('base64url');

/** True when `id` has the shape of a session id; anything else cannot name one, and costs no read. */
export const isSessionId = (id: string): boolean => SESSION_ID_PATTERN.test(id);

/** A new, random per-session salt. */
export const newSessionSalt = (): string => randomBytes(SALT_BYTES).toString('base64url');

/** The parts of a token in the right shape, or `undefined`; says nothing about whether it is genuine. */
export const parseRefreshToken = (token: string): (RefreshTokenParts & { mac: string }) | undefined => {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const [, sessionId, generation, mac] = match as unknown as [string, string, string, string];
  return { sessionId, generation: Number(generation), mac };
};

export interface RefreshTokens {
  /** The token for this generation of the session with this salt. */
  issue(parts: RefreshTokenParts, salt: string): Promise<string>;
  /** True when the token's MAC is the one `issue` makes for its parts and this salt (constant time). */
  matches(token: RefreshTokenParts & { mac: string }, salt: string): Promise<boolean>;
}

/** Refresh tokens under the key `read` returns (Secrets Manager in AWS, a value locally). */
export const createRefreshTokens = (read: SecretReader): RefreshTokens => {
  const key = deriveFromSecret(read, async (secret) => Buffer.from(secret, 'utf8'));
  const mac = async ({ sessionId, generation }: RefreshTokenParts, salt: string): Promise<Buffer> =>
    createHmac('sha256', await key())
      // A label, and separators no part can contain, so that no two inputs run together.
      .update(`movie-knight-refresh-token/v1\n${sessionId}\n${generation}\n${salt}`)
      .digest();
  return {
    async issue(parts, salt) {
      return `${parts.sessionId}.${parts.generation}.${(await mac(parts, salt)).toString('base64url')}`;
    },
    async matches(token, salt) {
      const presented = Buffer.from(token.mac, 'base64url');
      const expected = await mac(token, salt);
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    },
  };
};
