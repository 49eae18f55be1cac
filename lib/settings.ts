import * as v from 'valibot';

/**
 * One operator setting, defined once: the functions read it from the environment variable `env`,
 * the stack from the CDK context key `context` (a string from `-c`, a number, boolean or list from
 * cdk.json), and both parse it with `schema`. `rule` completes "X must be ...".
 */
export interface Setting<TSchema extends v.GenericSchema = v.GenericSchema> {
  env?: string;
  context?: string;
  rule: string;
  schema: TSchema;
  /** Used when the setting is not given; none means it is required (or optional, where the reader says so). */
  default?: v.InferOutput<TSchema>;
}

/** What a setting holds once parsed. */
export type SettingValue<TSetting extends Setting> = v.InferOutput<TSetting['schema']>;

/** Keeps the names' literal types, so a reader can require the one it uses. */
const define = <TSchema extends v.GenericSchema, TEnv extends string | undefined, TContext extends string | undefined>(
  setting: Setting<TSchema> & { env?: TEnv; context?: TContext },
) => setting as Setting<TSchema> & { env: TEnv; context: TContext };

/** An integer in [min, max], from a string of digits (environment, `-c`) or a number (cdk.json). */
export const integerSetting = (min: number, max: number) => ({
  rule: `an integer from ${min} to ${max}`,
  schema: v.pipe(
    v.union([v.pipe(v.string(), v.trim(), v.regex(/^-?\d+$/), v.transform(Number)), v.number()]),
    v.integer(),
    v.minValue(min),
    v.maxValue(max),
  ),
});

/** Hosts where a plain-http issuer is acceptable: a developer's machine, never a deployment. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const isIssuerUrl = (value: string): boolean => {
  const url = URL.parse(value);
  if (!url || value.endsWith('/') || url.search || url.hash || url.username || url.password) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
};

/** A browser origin as browsers send it: scheme and host (and port), nothing else, no wildcard. */
const isOrigin = (value: string): boolean => !value.includes('*') && URL.parse(value)?.origin === value;

/** A DNS name as WebAuthn takes an RP ID: lower-case labels, no scheme, port or trailing dot. */
const RP_ID_PATTERN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A comma-separated list (environment, `-c`) or a list (cdk.json) of origins, each checked. */
const originList = () =>
  v.pipe(
    v.union([
      v.pipe(
        v.string(),
        v.transform((list) => list.split(',')),
      ),
      v.array(v.string()),
    ]),
    v.transform((list) => list.map((origin) => origin.trim()).filter(Boolean)),
    v.array(v.pipe(v.string(), v.check(isOrigin))),
  );

/** The defaults, for code that needs a value without reading a setting (scripts, tests). */
export const DEFAULTS = {
  audience: 'movie-knight',
  /** The one first-party client registered unless configured: the Movie Knight apps. */
  clientIds: ['movie-knight-app'],
  // Short, now that clients refresh: the time a stolen access token, or one of an ended session
  // held by a service that only checks signatures, keeps working.
  ttlSeconds: 900,
  bcryptCost: 10,
  sessions: { ttlSeconds: 30 * 86_400, idleSeconds: 15 * 86_400, reuseGraceSeconds: 30, maxPerUser: 100 },
  throttle: { maxFailures: 5, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 },
  devices: { ttlSeconds: 365 * 86_400, maxFailures: 5 },
  // NIST SP 800-63B-4: no more than 100 consecutive failed attempts on one account.
  accountMaxFailures: 100,
  /** The account cap's memory: a year after the last failure (then DynamoDB's TTL tidies the item away). */
  accountMemorySeconds: 365 * 86_400,
  passwordMinLength: 15,
  passkeys: { rpName: 'Movie Knight', freshSignInSeconds: 300 },
} as const;

/** The settings the functions and the stack share. */
export const SETTINGS = {
  bcryptCost: define({
    env: 'BCRYPT_COST',
    context: 'bcryptCost',
    ...integerSetting(10, 15),
    default: DEFAULTS.bcryptCost,
  }),
  tokenTtlSeconds: define({
    env: 'TOKEN_TTL_SECONDS',
    context: 'tokenTtlSeconds',
    ...integerSetting(60, 86_400),
    default: DEFAULTS.ttlSeconds,
  }),
  /**
   * The `iss` claim, under which discovery publishes `jwks_uri`: a URL, so no default (the stack
   * sets the API's base URL, `npm start` its own).
   */
  tokenIssuer: define({
    env: 'TOKEN_ISSUER',
    context: 'tokenIssuer',
    rule: 'an https:// URL without a trailing slash (http:// only for localhost or 127.0.0.1)',
    schema: v.pipe(v.string(), v.trim(), v.check(isIssuerUrl)),
  }),
  tokenAudience: define({
    env: 'TOKEN_AUDIENCE',
    context: 'tokenAudience',
    rule: 'a non-empty string without spaces',
    schema: v.pipe(v.string(), v.trim(), v.regex(/^\S{1,256}$/)),
    default: DEFAULTS.audience,
  }),
  /**
   * The registered first-party clients (RFC 6749 section 2.2 client ids; public clients, no
   * secrets). Access tokens name one in `client_id` (RFC 9068 section 2.2); the first is the
   * default, the client of every login that names none. The token endpoint refuses any other id.
   */
  clientIds: define({
    env: 'CLIENT_IDS',
    context: 'clientIds',
    rule: 'a comma-separated list of client ids (letters, digits, ".", "_", "-", at most 64 each), the default first',
    schema: v.pipe(
      v.union([
        v.pipe(
          v.string(),
          v.transform((list) => list.split(',')),
        ),
        v.array(v.string()),
      ]),
      v.transform((list) => list.map((id) => id.trim()).filter(Boolean)),
      v.array(v.pipe(v.string(), v.regex(/^[\w.-]{1,64}$/))),
      v.minLength(1),
      v.maxLength(20),
      v.check((list) => new Set(list).size === list.length),
    ),
    default: [...DEFAULTS.clientIds],
  }),
  corsAllowedOrigins: define({
    env: 'CORS_ALLOWED_ORIGINS',
    context: 'corsAllowedOrigins',
    rule: 'a comma-separated list of origins like https://app.example.com (no path, no *)',
    schema: originList(),
    default: [],
  }),
  /** The domain passkeys are bound to: the app's registrable domain or a parent of its host. No default. */
  webauthnRpId: define({
    env: 'WEBAUTHN_RP_ID',
    context: 'webauthnRpId',
    rule: 'a lower-case domain name like movieknight.site (no scheme, no port)',
    schema: v.pipe(v.string(), v.trim(), v.regex(RP_ID_PATTERN)),
  }),
  webauthnRpName: define({
    env: 'WEBAUTHN_RP_NAME',
    context: 'webauthnRpName',
    rule: 'a name of 1 to 64 characters',
    schema: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(64)),
    default: DEFAULTS.passkeys.rpName,
  }),
  /** Origins whose passkey ceremonies are accepted: each on the RP ID or a subdomain of it. No default. */
  webauthnOrigins: define({
    env: 'WEBAUTHN_ORIGINS',
    context: 'webauthnOrigins',
    rule: 'a comma-separated list of one or more origins like https://movieknight.site (no path, no *)',
    schema: v.pipe(originList(), v.minLength(1)),
  }),
  passkeyFreshLoginSeconds: define({
    env: 'PASSKEY_FRESH_LOGIN_SECONDS',
    context: 'passkeyFreshLoginSeconds',
    ...integerSetting(30, 3600),
    default: DEFAULTS.passkeys.freshSignInSeconds,
  }),
  throttleMaxFailures: define({
    env: 'THROTTLE_MAX_FAILURES',
    context: 'throttleMaxFailures',
    ...integerSetting(1, 100),
    default: DEFAULTS.throttle.maxFailures,
  }),
  throttleWindowSeconds: define({
    env: 'THROTTLE_WINDOW_SECONDS',
    context: 'throttleWindowSeconds',
    ...integerSetting(60, 86_400),
    default: DEFAULTS.throttle.windowSeconds,
  }),
  throttleBaseLockSeconds: define({
    env: 'THROTTLE_BASE_LOCK_SECONDS',
    ...integerSetting(1, 3600),
    default: DEFAULTS.throttle.baseLockSeconds,
  }),
  throttleMaxLockSeconds: define({
    env: 'THROTTLE_MAX_LOCK_SECONDS',
    ...integerSetting(1, 86_400),
    default: DEFAULTS.throttle.maxLockSeconds,
  }),
  /** How long a device token lets its client be judged on its own failures (a trusted device). */
  deviceTokenTtlSeconds: define({
    env: 'DEVICE_TOKEN_TTL_SECONDS',
    context: 'deviceTokenTtlSeconds',
    ...integerSetting(86_400, 2 * 365 * 86_400),
    default: DEFAULTS.devices.ttlSeconds,
  }),
  /** Wrong passwords in a row after which a device token ends (its logins are judged as untrusted). */
  deviceMaxFailures: define({
    env: 'DEVICE_MAX_FAILURES',
    context: 'deviceMaxFailures',
    ...integerSetting(1, 20),
    default: DEFAULTS.devices.maxFailures,
  }),
  /** Untrusted failures in a row after which an account refuses untrusted clients: at most NIST's 100. */
  accountMaxFailures: define({
    env: 'ACCOUNT_MAX_FAILURES',
    context: 'accountMaxFailures',
    ...integerSetting(10, 100),
    default: DEFAULTS.accountMaxFailures,
  }),
  refreshTokenTtlSeconds: define({
    env: 'REFRESH_TOKEN_TTL_SECONDS',
    context: 'refreshTokenTtlSeconds',
    ...integerSetting(300, 365 * 86_400),
    default: DEFAULTS.sessions.ttlSeconds,
  }),
  refreshTokenIdleSeconds: define({
    env: 'REFRESH_TOKEN_IDLE_SECONDS',
    context: 'refreshTokenIdleSeconds',
    ...integerSetting(300, 365 * 86_400),
    default: DEFAULTS.sessions.idleSeconds,
  }),
  /** At least a second: concurrent refreshes with one token are told apart from reuse by it. */
  refreshReuseGraceSeconds: define({
    env: 'REFRESH_REUSE_GRACE_SECONDS',
    context: 'refreshReuseGraceSeconds',
    ...integerSetting(1, 300),
    default: DEFAULTS.sessions.reuseGraceSeconds,
  }),
  maxSessionsPerUser: define({
    env: 'MAX_SESSIONS_PER_USER',
    context: 'maxSessionsPerUser',
    ...integerSetting(1, 1000),
    default: DEFAULTS.sessions.maxPerUser,
  }),
  /**
   * Fewest characters (code points after NFC) a new password may have. NIST SP 800-63B-4: 15 when
   * the password is the only factor; 8 is the floor it allows once another factor exists.
   */
  passwordMinLength: define({
    env: 'PASSWORD_MIN_LENGTH',
    context: 'passwordMinLength',
    ...integerSetting(8, 64),
    default: DEFAULTS.passwordMinLength,
  }),
  /**
   * Whether a new password is also looked up in Have I Been Pwned's breach corpus (k-anonymity
   * range API, padded; fails open, counted by the PwnedPasswordsUnavailable metric). Off by
   * default: it sends 5 hex digits of each new password's SHA-1 to a third party.
   */
  pwnedPasswordsCheck: define({
    env: 'PWNED_PASSWORDS_CHECK',
    context: 'pwnedPasswordsCheck',
    rule: 'true or false',
    schema: v.pipe(
      v.union([v.pipe(v.string(), v.trim(), v.picklist(['true', 'false'])), v.boolean()]),
      v.transform((value) => value === true || value === 'true'),
    ),
    default: false,
  }),
  /** The Pwned Passwords API; set only to point at a stand-in (tests, a mirror). */
  pwnedPasswordsUrl: define({
    env: 'PWNED_PASSWORDS_URL',
    rule: 'an https:// URL (http:// only for localhost or 127.0.0.1)',
    schema: v.pipe(
      v.string(),
      v.trim(),
      v.check((value) => {
        const url = URL.parse(value);
        return url?.protocol === 'https:' || (url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
      }),
    ),
    default: 'https://api.pwnedpasswords.com',
  }),
  /** Set by the stack from the token lifetime and the JWKS cache margin; read by the rotation function. */
  retiredKeyRetainSeconds: define({
    env: 'RETIRED_KEY_RETAIN_SECONDS',
    ...integerSetting(60, 30 * 86_400),
  }),
} as const;

/** The environment variables that name the tables the stack makes. */
export const TABLE_VARIABLES = {
  users: 'USERS_TABLE_NAME',
  attempts: 'ATTEMPTS_TABLE_NAME',
  sessions: 'SESSIONS_TABLE_NAME',
  passkeys: 'PASSKEYS_TABLE_NAME',
  passkeyChallenges: 'PASSKEY_CHALLENGES_TABLE_NAME',
} as const;

/**
 * The keys each function may read: in AWS `<NAME>_SECRET_ARN` (see secretArnVariable), which the
 * stack sets to a Secrets Manager secret; locally `<NAME>` itself, holding the value.
 */
export const KEY_VARIABLES = {
  signingKeys: 'SIGNING_KEYS',
  publicKeys: 'PUBLIC_KEYS',
  identifierKey: 'IDENTIFIER_KEY',
  refreshKey: 'REFRESH_KEY',
} as const;

/** The environment variable that holds a key's secret ARN in AWS. */
export const secretArnVariable = <TName extends string>(name: TName): `${TName}_SECRET_ARN` => `${name}_SECRET_ARN`;

/** DynamoDB Local's URL, for local runs only. */
export const DYNAMODB_ENDPOINT_VARIABLE = 'DYNAMODB_ENDPOINT';

/** Settings that only make sense on a developer's machine: DynamoDB Local and plain-text keys. */
export const LOCAL_ONLY_SETTINGS = [
  DYNAMODB_ENDPOINT_VARIABLE,
  ...Object.values(KEY_VARIABLES),
  'SIGNING_KEYS_FILE',
  'PUBLIC_KEYS_FILE',
] as const;

type SettingName = keyof typeof SETTINGS;

/**
 * Shared settings as the environment a function reads them from: each under its variable, lists
 * comma-separated. What the stack sets on its functions.
 */
export const settingsEnvironment = (
  values: Partial<Record<SettingName, string | number | readonly string[]>>,
): Record<string, string> =>
  Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      SETTINGS[name as SettingName].env,
      Array.isArray(value) ? value.join(',') : String(value),
    ]),
  );

/** Parses a raw value with a setting's schema. */
export const parseSetting = <TSchema extends v.GenericSchema>(
  setting: Setting<TSchema>,
  raw: unknown,
): { ok: true; value: v.InferOutput<TSchema> } | { ok: false } => {
  const result = v.safeParse(setting.schema, raw);
  return result.success ? { ok: true, value: result.output } : { ok: false };
};
