import type { SecretSource } from '#lib/aws/secrets.ts';
import type { SessionPolicy } from '#lib/sessions/session.ts';
import { ConfigError } from './errors.ts';
import { parseSetting, SETTINGS, type Setting, type SettingValue } from './settings.ts';

export { DEFAULTS } from './settings.ts';

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

/** Tokens: the claims they carry and how long they live. */
export interface TokenConfig {
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
  /**
   * The private key set (lib/tokens/key-set.ts): a Secrets Manager secret in AWS, a value locally.
   * Only functions that sign tokens read it.
   */
  signingKeys: SecretSource;
  token: TokenConfig;
  bcryptCost: number;
  throttle: ThrottlePolicy;
  /** Browser origins allowed to call the API; none means no CORS headers. */
  corsAllowedOrigins: string[];
}

const required = (env: Env, name: string): string => {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`Environment variable ${name} is required`);
  return value;
};

const optional = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/**
 * A shared setting (lib/settings.ts) from its environment variable: its default when unset (or
 * "is required" when it has none), "must be ..." when it does not parse.
 */
export const readSetting = <TSetting extends Setting & { env: string }>(
  env: Env,
  setting: TSetting,
): SettingValue<TSetting> => {
  const raw = optional(env, setting.env);
  if (raw === undefined) {
    if (setting.default !== undefined) return setting.default;
    throw new ConfigError(`Environment variable ${setting.env} is required`);
  }
  const parsed = parseSetting(setting, raw);
  if (!parsed.ok) throw new ConfigError(`Environment variable ${setting.env} must be ${setting.rule}`);
  return parsed.value;
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
    maxFailures: readSetting(env, SETTINGS.throttleMaxFailures),
    windowSeconds: readSetting(env, SETTINGS.throttleWindowSeconds),
    baseLockSeconds: readSetting(env, SETTINGS.throttleBaseLockSeconds),
    maxLockSeconds: readSetting(env, SETTINGS.throttleMaxLockSeconds),
  };
  if (policy.maxLockSeconds < policy.baseLockSeconds) {
    throw new ConfigError('THROTTLE_MAX_LOCK_SECONDS must not be less than THROTTLE_BASE_LOCK_SECONDS');
  }
  return policy;
};

/** The browser origins allowed to call the API (CORS_ALLOWED_ORIGINS), for the local API's own answers. */
export const readCorsAllowedOrigins = (env: Env = process.env): string[] =>
  readSetting(env, SETTINGS.corsAllowedOrigins);

/** Settings that only make sense on a developer's machine: DynamoDB Local and plain-text keys. */
export const LOCAL_ONLY_SETTINGS = [
  'DYNAMODB_ENDPOINT',
  'SIGNING_KEYS',
  'PUBLIC_KEYS',
  'IDENTIFIER_KEY',
  'REFRESH_KEY',
] as const;

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

// A JWK set is JSON: its shape is checked when it is parsed, not by length.
/** The private key set, for the functions that sign. */
const signingKeys = (env: Env): SecretSource => secretSource(env, 'SIGNING_KEYS', 1);
/** The public JWKS (lib/tokens/public-jwks.ts), for the functions that only verify or publish. */
const publicKeys = (env: Env): SecretSource => secretSource(env, 'PUBLIC_KEYS', 1);

const readTokenConfig = (env: Env): TokenConfig => ({
  issuer: readSetting(env, SETTINGS.tokenIssuer),
  audience: readSetting(env, SETTINGS.tokenAudience),
  ttlSeconds: readSetting(env, SETTINGS.tokenTtlSeconds),
});

const readSessionConfig = (env: Env): SessionConfig => {
  const policy = {
    ttlSeconds: readSetting(env, SETTINGS.refreshTokenTtlSeconds),
    idleSeconds: readSetting(env, SETTINGS.refreshTokenIdleSeconds),
    reuseGraceSeconds: readSetting(env, SETTINGS.refreshReuseGraceSeconds),
    maxPerUser: readSetting(env, SETTINGS.maxSessionsPerUser),
  };
  return { tableName: required(env, 'SESSIONS_TABLE_NAME'), policy };
};

/** What every HTTP function reads: where DynamoDB is (locally), the tokens, and CORS. */
const readHttpConfig = (env: Env) => ({
  dynamoDbEndpoint: optional(env, 'DYNAMODB_ENDPOINT'),
  token: readTokenConfig(env),
  corsAllowedOrigins: readSetting(env, SETTINGS.corsAllowedOrigins),
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
    signingKeys: signingKeys(env),
    bcryptCost: readBcryptCost(env),
    throttle: throttlePolicy(env),
  };
};

/** `/api/auth/me`: the users and sessions tables, the public keys that verify, the claims. */
export interface MeConfig {
  tableName: string;
  sessions: SessionConfig;
  dynamoDbEndpoint: string | undefined;
  publicKeys: SecretSource;
  token: TokenConfig;
  corsAllowedOrigins: string[];
}

export const readMeConfig = (env: Env = process.env): MeConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    tableName: required(env, 'TABLE_NAME'),
    sessions: readSessionConfig(env),
    publicKeys: publicKeys(env),
  };
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

const readSessionsConfig = (env: Env): SessionsConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    tableName: required(env, 'TABLE_NAME'),
    sessions: readSessionConfig(env),
    refreshKey: secretSource(env, 'REFRESH_KEY'),
  };
};

/** `/api/auth/refresh` signs new access tokens: it reads the private key set. */
export interface RefreshConfig extends SessionsConfig {
  signingKeys: SecretSource;
}

export const readRefreshConfig = (env: Env = process.env): RefreshConfig => ({
  ...readSessionsConfig(env),
  signingKeys: signingKeys(env),
});

/** The session routes only verify access tokens: they read the public JWKS. */
export interface SessionRoutesConfig extends SessionsConfig {
  publicKeys: SecretSource;
}

export const readSessionRoutesConfig = (env: Env = process.env): SessionRoutesConfig => ({
  ...readSessionsConfig(env),
  publicKeys: publicKeys(env),
});

/** `/.well-known/*`: the public keys and the issuer. */
export interface WellKnownConfig {
  publicKeys: SecretSource;
  token: TokenConfig;
  corsAllowedOrigins: string[];
}

export const readWellKnownConfig = (env: Env = process.env): WellKnownConfig => {
  refuseLocalOnlySettings(env);
  const { token, corsAllowedOrigins } = readHttpConfig(env);
  return { publicKeys: publicKeys(env), token, corsAllowedOrigins };
};

/** The bcrypt cost alone, for the scripts that hash passwords (users CLI, local seeding). */
export const readBcryptCost = (env: Env = process.env): number => readSetting(env, SETTINGS.bcryptCost);

/** The key rotation function: how long a retired key stays published (the stack derives it). */
export interface KeyRotationConfig {
  retiredKeyRetainSeconds: number;
}

export const readKeyRotationConfig = (env: Env = process.env): KeyRotationConfig => ({
  retiredKeyRetainSeconds: readSetting(env, SETTINGS.retiredKeyRetainSeconds),
});
