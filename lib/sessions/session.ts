import * as v from 'valibot';

/** How long sessions live, how retries are told from reuse, and how many a user may have. */
export interface SessionPolicy {
  /** A session ends this long after its login, whatever rotations happened. */
  ttlSeconds: number;
  /** A session ends after this long without a refresh. */
  idleSeconds: number;
  /** How long after a rotation the token it replaced still answers, with the current token. */
  reuseGraceSeconds: number;
  /** Live sessions per user; a login beyond that ends the oldest. */
  maxPerUser: number;
}

const EpochMsSchema = v.pipe(v.number(), v.integer(), v.minValue(0));

/**
 * What the user index holds of a session: enough to list it and to tell whether it is live. Times
 * are epoch milliseconds.
 */
export const SessionSummarySchema = v.object({
  id: v.pipe(v.string(), v.nonEmpty()),
  userId: v.pipe(v.string(), v.nonEmpty()),
  createdAt: EpochMsSchema,
  lastUsedAt: EpochMsSchema,
  absoluteExpiresAt: EpochMsSchema,
  /** Set once the session was ended (logout, reuse, the cap); never cleared. */
  endedAt: v.optional(EpochMsSchema),
  userAgent: v.optional(v.string()),
});

/** How a session started: the proof its sign-in took. */
export const SESSION_START_METHODS = ['password', 'passkey'] as const;
export type SessionStartMethod = (typeof SESSION_START_METHODS)[number];

/** A session item as stored. The refresh token itself is never stored (see refresh-token.ts). */
export const SessionItemSchema = v.object({
  ...SessionSummarySchema.entries,
  /** How it started; sessions from before passkeys have none, and were all password logins. */
  startedBy: v.optional(v.picklist(SESSION_START_METHODS), 'password'),
  /** 256 random bits, mixed into every refresh token's MAC; useless without the refresh key. */
  salt: v.pipe(v.string(), v.nonEmpty()),
  /** The generation of the current refresh token; each rotation adds one. */
  generation: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** When the current generation became current. */
  rotatedAt: EpochMsSchema,
  /** The registered client the session was started for; none means the default client. */
  clientId: v.optional(v.pipe(v.string(), v.nonEmpty())),
  /**
   * The user's `sessionEpoch` when the session started, copied from the item whose password hash
   * the login compared; never changes. The session lives only while the user's epoch is still
   * this one. Absent on sessions made before epochs existed (see `endedByUser`).
   */
  epoch: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /**
   * The global session epoch when the session started (lib/sessions/control.ts); never changes.
   * The session lives only while it is still the current one. Absent on sessions from before the
   * switch: they count as 0.
   */
  globalEpoch: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

export type SessionSummary = v.InferOutput<typeof SessionSummarySchema>;
export type SessionItem = v.InferOutput<typeof SessionItemSchema>;

/** Parses a stored item; `undefined` when it is not a usable session. */
export const parseSessionItem = (item: unknown): SessionItem | undefined => {
  const result = v.safeParse(SessionItemSchema, item);
  return result.success ? result.output : undefined;
};

/** Parses an item of the user index; `undefined` when it is not usable. */
export const parseSessionSummary = (item: unknown): SessionSummary | undefined => {
  const result = v.safeParse(SessionSummarySchema, item);
  return result.success ? result.output : undefined;
};

/** When the session ends by its lifetimes alone (epoch milliseconds): absolute or idle, whichever is first. */
export const sessionExpiresAt = (session: SessionSummary, policy: Pick<SessionPolicy, 'idleSeconds'>): number =>
  Math.min(session.absoluteExpiresAt, session.lastUsedAt + policy.idleSeconds * 1000);

/**
 * Why a session is over: ended by itself, expired, ended with all the user's sessions, or with
 * every session of every user (an operator's switch).
 */
export type SessionEnd = 'ended' | 'expired' | 'revoked' | 'ended_everywhere';

/** What the user item says about all of the user's sessions at once (see lib/users/user.ts). */
export interface UserSessionState {
  /** Every session (and whatever else is tied to them) lives only while it carries this epoch. */
  sessionEpoch: number;
  /** The clock rule epochs replaced, read for sessions without an epoch only; never written now. */
  sessionsValidAfter?: number | undefined;
}

/**
 * Whether the user ended this session along with all the others (a password change, logout
 * everywhere): its epoch is no longer the user's. A session without an epoch dates from before
 * epochs: it was epoch 0, and the clock rule of its time still holds for it, so a logout
 * everywhere done before the change is not undone (such sessions are all gone 30 days after it).
 */
export const endedByUser = (
  session: { createdAt: number; epoch?: number | undefined },
  user: UserSessionState,
): boolean =>
  session.epoch === undefined
    ? user.sessionEpoch !== 0 || (user.sessionsValidAfter !== undefined && session.createdAt <= user.sessionsValidAfter)
    : session.epoch !== user.sessionEpoch;

/**
 * Whether an operator ended every session of every user since this one started: the global epoch
 * it recorded (absent: 0, the epoch before the switch was ever used) is not the current one.
 */
export const endedEverywhere = (session: { globalEpoch?: number | undefined }, globalEpoch: number): boolean =>
  (session.globalEpoch ?? 0) !== globalEpoch;

/** What decides, beyond a session's own item, whether it lives: its user's epoch and the global one. */
export interface SessionEpochs {
  user: UserSessionState;
  /** The global session epoch, read with the user (lib/sessions/control.ts). */
  global: number;
}

/**
 * Whether a session is live at `now`, decided here with the caller's clock, never by DynamoDB's
 * TTL. With `epochs`, also whether the user, or an operator for everyone, has ended all sessions
 * since it started; a caller without the session's epochs (the user index does not hold them)
 * passes none and judges the session by its own item alone.
 */
export const sessionEnd = (
  session: SessionSummary & { epoch?: number | undefined; globalEpoch?: number | undefined },
  now: number,
  policy: Pick<SessionPolicy, 'idleSeconds'>,
  epochs: SessionEpochs | undefined,
): SessionEnd | undefined => {
  if (session.endedAt !== undefined) return 'ended';
  if (epochs && endedEverywhere(session, epochs.global)) return 'ended_everywhere';
  if (epochs && endedByUser(session, epochs.user)) return 'revoked';
  if (now >= sessionExpiresAt(session, policy)) return 'expired';
  return undefined;
};

/** Longest user agent kept: enough to recognise a device, bounded whatever a client sends. */
export const MAX_USER_AGENT_LENGTH = 256;

/** The user agent as stored: cut to MAX_USER_AGENT_LENGTH characters (code points), or none. */
export const storedUserAgent = (userAgent: string | undefined): string | undefined =>
  userAgent ? [...userAgent].slice(0, MAX_USER_AGENT_LENGTH).join('') : undefined;
