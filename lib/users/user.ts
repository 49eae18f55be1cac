import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { normalizeEmail } from './identifier.ts';
import { BCRYPT_HASH_PATTERN } from './passwords.ts';
import { PROFILE_ATTRIBUTES, SESSION_STATE_ATTRIBUTES } from './table.ts';

/** Usage allowance a user gets when the item has none recorded. */
export const DEFAULT_AI_USAGE_LIMIT = 5;

const IsoDateSchema = v.pipe(
  v.string(),
  v.check((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date'),
  v.transform((value) => new Date(value).toISOString()),
);

const CountSchema = v.pipe(v.number(), v.integer(), v.minValue(0));

/**
 * A user item as stored in the users table. Other services write this table, so items
 * are validated when read rather than trusted. See docs/users.md for the item shape.
 */
export const UserItemSchema = v.object({
  id: v.pipe(v.string(), v.nonEmpty()),
  email: v.pipe(v.string(), v.nonEmpty()),
  emailLower: v.pipe(v.string(), v.nonEmpty()),
  username: v.pipe(v.string(), v.nonEmpty()),
  passwordHash: v.pipe(v.string(), v.regex(BCRYPT_HASH_PATTERN)),
  name: v.string(),
  createdAt: IsoDateSchema,
  bio: v.optional(v.string(), ''),
  badges: v.optional(v.array(v.unknown()), () => []),
  aiUsage: v.optional(v.object({ used: CountSchema, limit: CountSchema }), () => ({
    used: 0,
    limit: DEFAULT_AI_USAGE_LIMIT,
  })),
  avatarUrl: v.nullish(v.string(), null),
  countryCode: v.nullish(v.string(), null),
  dateOfBirth: v.nullish(IsoDateSchema, null),
  /**
   * Every session and device token of the user lives only while it carries this number: a
   * password change, logout everywhere, an operator's disable or delete add one, in the same write
   * as the rest of their change. Absent means 0. See docs/sessions.md.
   */
  sessionEpoch: v.optional(CountSchema, 0),
  /**
   * Epoch milliseconds, from before `sessionEpoch`: sessions without an epoch created at or before
   * it are over. Read, never written; remove once no session predates epochs (30 days).
   */
  sessionsValidAfter: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** Set by an operator (`npm run users -- disable`): every sign-in fails as a wrong password does. */
  disabledAt: v.optional(IsoDateSchema),
});

export type UserItem = v.InferOutput<typeof UserItemSchema>;

/**
 * A user as PROFILE_ATTRIBUTES (lib/users/table.ts) read it: enough for the safe user and to judge
 * a session, never the password hash. (`v.pick` takes only attributes the user item has.)
 */
export const UserProfileSchema = v.pick(UserItemSchema, PROFILE_ATTRIBUTES);
export type UserProfile = v.InferOutput<typeof UserProfileSchema>;

/** A user as SESSION_STATE_ATTRIBUTES read it: its id and the state of all its sessions. */
export const UserSessionStateSchema = v.pick(UserItemSchema, SESSION_STATE_ATTRIBUTES);
export type UserSessionStateItem = v.InferOutput<typeof UserSessionStateSchema>;

/**
 * The user as the contract returns it: profile fields only, never the hash or index keys. The
 * published contract (openapi.json) is generated from this schema; strict, so a field added to
 * `toSafeUser` but not here fails the contract tests.
 */
export const SafeUserSchema = v.strictObject({
  id: v.pipe(v.string(), v.description('Opaque identifier (24 hex digits for users created here).')),
  bio: v.string(),
  name: v.string(),
  email: v.pipe(v.string(), v.email()),
  badges: v.array(v.unknown()),
  aiUsage: v.strictObject({ used: CountSchema, limit: CountSchema, remaining: CountSchema }),
  username: v.string(),
  avatarUrl: v.nullable(v.string()),
  createdAt: v.pipe(v.string(), v.isoTimestamp()),
  countryCode: v.nullable(v.string()),
  dateOfBirth: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
});

export type SafeUser = v.InferOutput<typeof SafeUserSchema>;

/** Parses a stored item; `undefined` when it does not have the shape a login needs. */
export const parseUserItem = (item: unknown): UserItem | undefined => {
  const result = v.safeParse(UserItemSchema, item);
  return result.success ? result.output : undefined;
};

/** Maps a stored user to the contract's safe user, listing each field so nothing else can slip in. */
export const toSafeUser = (user: UserProfile): SafeUser => ({
  id: user.id,
  bio: user.bio,
  name: user.name,
  email: user.email,
  badges: user.badges,
  aiUsage: {
    used: user.aiUsage.used,
    limit: user.aiUsage.limit,
    remaining: Math.max(user.aiUsage.limit - user.aiUsage.used, 0),
  },
  username: user.username,
  avatarUrl: user.avatarUrl,
  createdAt: user.createdAt,
  countryCode: user.countryCode,
  dateOfBirth: user.dateOfBirth,
});

export interface NewUser {
  email: string;
  username: string;
  name: string;
  passwordHash: string;
  dateOfBirth?: string | undefined;
  /** Defaults to 24 random hex digits, the form the contract's example shows. */
  id?: string | undefined;
}

/** A new, random user id: 24 hex digits. */
export const newUserId = (): string => randomBytes(12).toString('hex');

/** A new user's item: its keys typed, the rest as stored. */
export type NewUserItem = Record<string, unknown> & { id: string; emailLower: string; username: string };

/** A complete item for a new user, with the derived index key and the profile defaults. */
export const newUserItem = (user: NewUser, now: Date = new Date()): NewUserItem => ({
  id: user.id ?? newUserId(),
  email: user.email.trim(),
  emailLower: normalizeEmail(user.email),
  username: user.username,
  name: user.name,
  passwordHash: user.passwordHash,
  bio: '',
  badges: [],
  aiUsage: { used: 0, limit: DEFAULT_AI_USAGE_LIMIT },
  createdAt: now.toISOString(),
  ...(user.dateOfBirth && { dateOfBirth: new Date(user.dateOfBirth).toISOString() }),
});
