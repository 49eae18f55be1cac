import type { SecretSource } from '#lib/aws/secrets.ts';
import type { SessionPolicy } from '#lib/sessions/session.ts';
import { ConfigError } from './errors.ts';

type Env = Record<string, string | undefined>;

/** When a failing identifier is throttled, and for how long (see lib/login/attempts.ts). */
export interface ThrottlePolicy {
  /** Failures after which an identifier is throttled. */
  maxFailures: number;
  /** How long failures are remembered after the last one (or after the lock it caused ends). */
  windowSeconds: number;
  /** First lock; each further failure doubles it. */
  baseLockSeconds: number;
  /** Longest lock. */
  maxLockSeconds: number;
}

/** Tokens: the key set that signs them and the claims they carry. */
export interface TokenConfig {
  /** A JWK set (see lib/tokens/key-set.ts): a Secrets Manager secret in AWS, a value locally. */
  signingKeys: SecretSource;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Sessions: where they are kept and how long they live. */
export interface SessionConfig {
  tableName: string;
  policy: SessionPolicy;
}

/** The login function's configuration. */
export interface LoginConfig {
  tableName: string;
  attemptsTableName: string;
  /** Only for DynamoDB Local; unset in AWS. */
  dynamoDbEndpoint: string | undefined;
  identifierKey: SecretSource;
  /** The HMAC key of refresh tokens (see lib/sessions/refresh-token.ts). */
  refreshKey: SecretSource;
  sessions: SessionConfig;
  token: TokenConfig;
  bcryptCost: number;
  throttle: ThrottlePolicy;
  /** Browser origins allowed to call the API; none means no CORS headers. */
  corsAllowedOrigins: string[];
}

export const DEFAULTS = {
  issuer: 'movie-knight-auth',
  audience: 'movie-knight',
  // Short, now that clients refresh: the time a stolen access token, or one of an ended session
  // held by a service that only checks signatures, keeps working.
  ttlSeconds: 900,
  bcryptCost: 10,
  sessions: { ttlSeconds: 30 * 86_400, idleSeconds: 15 * 86_400, reuseGraceSeconds: 30, maxPerUser: 100 },
  throttle: { maxFailures: 5, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 },
} as const;

const required = (env: Env, name: string): string => {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`Environment variable ${name} is required`);
  return value;
};

const optional = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

const integer = (env: Env, name: string, fallback: number, min: number, max: number): number => {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Environment variable ${name} must be an integer from ${min} to ${max}`);
  }
  return value;
};

/** `<NAME>_SECRET_ARN` (AWS) or `<NAME>` itself (local), exactly one of them. */
const secretSource = (env: Env, name: string, minBytes = 32): SecretSource => {
  const secretId = optional(env, `${name}_SECRET_ARN`);
  const value = optional(env, name);
  if (secretId && value) throw new ConfigError(`Set only one of ${name}_SECRET_ARN and ${name}`);
  if (secretId) return { secretId };
  if (value) {
    if (Buffer.byteLength(value) < minBytes) throw new ConfigError(`${name} must be at least ${minBytes} bytes`);
    return { value };
  }
  throw new ConfigError(`Environment variable ${name}_SECRET_ARN (or ${name} locally) is required`);
};

const throttlePolicy = (env: Env): ThrottlePolicy => {
  const policy = {
    maxFailures: integer(env, 'THROTTLE_MAX_FAILURES', DEFAULTS.throttle.maxFailures, 1, 100),
    windowSeconds: integer(env, 'THROTTLE_WINDOW_SECONDS', DEFAULTS.throttle.windowSeconds, 60, 86_400),
    baseLockSeconds: integer(env, 'THROTTLE_BASE_LOCK_SECONDS', DEFAULTS.throttle.baseLockSeconds, 1, 3600),
    maxLockSeconds: integer(env, 'THROTTLE_MAX_LOCK_SECONDS', DEFAULTS.throttle.maxLockSeconds, 1, 86_400),
  };
  if (policy.maxLockSeconds < policy.baseLockSeconds) {
    throw new ConfigError('THROTTLE_MAX_LOCK_SECONDS must not be less than THROTTLE_BASE_LOCK_SECONDS');
  }
  return policy;
};

const origins = (env: Env, name: string): string[] => {
  const list = (optional(env, name) ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (origin === '*' || !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(`${name} must list origins like https://app.example.com, not ${origin}`);
    }
  }
  return list;
};

/** Settings that only make sense on a developer's machine: DynamoDB Local and plain-text keys. */
export const LOCAL_ONLY_SETTINGS = ['DYNAMODB_ENDPOINT', 'SIGNING_KEYS', 'IDENTIFIER_KEY', 'REFRESH_KEY'] as const;

/**
 * True when running in AWS Lambda for real. Lambda sets AWS_LAMBDA_FUNCTION_NAME in every
 * function; `sam local` sets it too but also sets AWS_SAM_LOCAL=true, and `npm start` and the
 * tests set neither.
 */
export const runsInAws = (env: Env): boolean => Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && env.AWS_SAM_LOCAL !== 'true';

const refuseLocalOnlySettings = (env: Env): void => {
  if (!runsInAws(env)) return;
  for (const name of LOCAL_ONLY_SETTINGS) {
    if (optional(env, name)) throw new ConfigError(`${name} is for local runs only and must be empty in AWS Lambda`);
  }
};

const readTokenConfig = (env: Env): TokenConfig => ({
  // A JWK set is JSON: its shape is checked when it is parsed, not by length.
  signingKeys: secretSource(env, 'SIGNING_KEYS', 1),
  issuer: optional(env, 'TOKEN_ISSUER') ?? DEFAULTS.issuer,
  audience: optional(env, 'TOKEN_AUDIENCE') ?? DEFAULTS.audience,
  ttlSeconds: integer(env, 'TOKEN_TTL_SECONDS', DEFAULTS.ttlSeconds, 60, 86_400),
});

const readSessionConfig = (env: Env): SessionConfig => {
  const { sessions } = DEFAULTS;
  const policy = {
    ttlSeconds: integer(env, 'REFRESH_TOKEN_TTL_SECONDS', sessions.ttlSeconds, 300, 365 * 86_400),
    idleSeconds: integer(env, 'REFRESH_TOKEN_IDLE_SECONDS', sessions.idleSeconds, 300, 365 * 86_400),
    // At least a second: concurrent refreshes with one token are told apart from reuse by it.
    reuseGraceSeconds: integer(env, 'REFRESH_REUSE_GRACE_SECONDS', sessions.reuseGraceSeconds, 1, 300),
    maxPerUser: integer(env, 'MAX_SESSIONS_PER_USER', sessions.maxPerUser, 1, 1000),
  };
  return { tableName: required(env, 'SESSIONS_TABLE_NAME'), policy };
};

/** What every HTTP function reads: where DynamoDB is (locally), the tokens, and CORS. */
const readHttpConfig = (env: Env) => ({
  dynamoDbEndpoint: optional(env, 'DYNAMODB_ENDPOINT'),
  token: readTokenConfig(env),
  corsAllowedOrigins: origins(env, 'CORS_ALLOWED_ORIGINS'),
});

/** The login function's configuration, read once; throws ConfigError on anything missing or invalid. */
export const readLoginConfig = (env: Env = process.env): LoginConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    tableName: required(env, 'TABLE_NAME'),
    attemptsTableName: required(env, 'ATTEMPTS_TABLE_NAME'),
    identifierKey: secretSource(env, 'IDENTIFIER_KEY'),
    refreshKey: secretSource(env, 'REFRESH_KEY'),
    sessions: readSessionConfig(env),
    bcryptCost: integer(env, 'BCRYPT_COST', DEFAULTS.bcryptCost, 10, 15),
    throttle: throttlePolicy(env),
  };
};

/** `/api/auth/me`: the users and sessions tables, the keys that verify, the claims. */
export interface MeConfig {
  tableName: string;
  sessions: SessionConfig;
  dynamoDbEndpoint: string | undefined;
  token: TokenConfig;
  corsAllowedOrigins: string[];
}

export const readMeConfig = (env: Env = process.env): MeConfig => {
  refuseLocalOnlySettings(env);
  return { ...readHttpConfig(env), tableName: required(env, 'TABLE_NAME'), sessions: readSessionConfig(env) };
};

/**
 * `/api/auth/refresh` and the session routes (logout, logout everywhere, the list): the users and
 * sessions tables, the refresh key, the tokens.
 */
export interface SessionsConfig {
  tableName: string;
  sessions: SessionConfig;
  refreshKey: SecretSource;
  dynamoDbEndpoint: string | undefined;
  token: TokenConfig;
  corsAllowedOrigins: string[];
}

export const readSessionsConfig = (env: Env = process.env): SessionsConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    tableName: required(env, 'TABLE_NAME'),
    sessions: readSessionConfig(env),
    refreshKey: secretSource(env, 'REFRESH_KEY'),
  };
};

/** `/.well-known/*`: the key set and the issuer. */
export interface WellKnownConfig {
  token: TokenConfig;
  corsAllowedOrigins: string[];
}

export const readWellKnownConfig = (env: Env = process.env): WellKnownConfig => {
  refuseLocalOnlySettings(env);
  const { token, corsAllowedOrigins } = readHttpConfig(env);
  return { token, corsAllowedOrigins };
};
