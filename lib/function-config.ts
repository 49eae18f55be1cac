import type { SecretSource } from '#lib/aws/secrets.ts';
import type { AccountCapPolicy } from '#lib/login/account-cap.ts';
import type { DevicePolicy } from '#lib/login/device-budget.ts';
import type { ThrottlePolicy } from '#lib/login/throttle-policy.ts';
import type { PasskeyPolicy } from '#lib/passkeys/manage.ts';
import type { RelyingParty } from '#lib/passkeys/webauthn.ts';
import type { SessionPolicy } from '#lib/sessions/session.ts';
import type { TokenPolicy } from '#lib/tokens/signer.ts';
import type { PasswordPolicy } from '#lib/users/password-policy.ts';
import { ConfigError } from './errors.ts';
import {
  DEFAULTS,
  DYNAMODB_ENDPOINT_VARIABLE,
  KEY_VARIABLES,
  LOCAL_ONLY_SETTINGS,
  parseSetting,
  SETTINGS,
  type Setting,
  type SettingValue,
  secretArnVariable,
  TABLE_VARIABLES,
} from './settings.ts';

type Env = Record<string, string | undefined>;

/** What every HTTP function reads: where DynamoDB is (locally), the tokens, and CORS. */
interface HttpConfig {
  /** Only for DynamoDB Local; unset in AWS. */
  dynamoDbEndpoint: string | undefined;
  tokenPolicy: TokenPolicy;
  /** Browser origins allowed to call the API; none means no CORS headers. */
  corsAllowedOrigins: string[];
}

/** Where sessions are kept and how long they live. */
interface SessionsTableConfig {
  sessionsTableName: string;
  sessionPolicy: SessionPolicy;
}

/** The login function's configuration. */
export interface LoginConfig extends HttpConfig, SessionsTableConfig {
  usersTableName: string;
  attemptsTableName: string;
  identifierKey: SecretSource;
  /** The HMAC key of refresh tokens (see lib/sessions/refresh-token.ts). */
  refreshKey: SecretSource;
  /**
   * The private key set (lib/tokens/key-set.ts): a Secrets Manager secret in AWS, a value locally.
   * Only functions that sign tokens read it.
   */
  signingKeys: SecretSource;
  bcryptCost: number;
  throttlePolicy: ThrottlePolicy;
  /** Trusted devices: their tokens' lifetime and their own budget (lib/login/device-budget.ts). */
  devices: DevicePolicy;
  /** The long-memory cap on an account's untrusted failures (lib/login/account-cap.ts). */
  accountCap: AccountCapPolicy;
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
  const arnVariable = secretArnVariable(name);
  const secretId = optional(env, arnVariable);
  const value = optional(env, name);
  if (secretId && value) throw new ConfigError(`Set only one of ${arnVariable} and ${name}`);
  if (secretId) return { secretId };
  // The key files `npm start` keeps in .local/, read on every use so `npm run keys` acts at once.
  const file = value
    ? undefined
    : (KEY_FILE_SETTINGS as readonly string[]).includes(`${name}_FILE`)
      ? optional(env, `${name}_FILE`)
      : undefined;
  if (file) return { file };
  if (value) {
    if (Buffer.byteLength(value) < minBytes) throw new ConfigError(`${name} must be at least ${minBytes} bytes`);
    return { value };
  }
  throw new ConfigError(`Environment variable ${arnVariable} (or ${name} locally) is required`);
};

const readThrottlePolicy = (env: Env): ThrottlePolicy => {
  const policy = {
    maxFailures: readSetting(env, SETTINGS.throttleMaxFailures),
    windowSeconds: readSetting(env, SETTINGS.throttleWindowSeconds),
    baseLockSeconds: readSetting(env, SETTINGS.throttleBaseLockSeconds),
    maxLockSeconds: readSetting(env, SETTINGS.throttleMaxLockSeconds),
  };
  if (policy.maxLockSeconds < policy.baseLockSeconds) {
    throw new ConfigError(
      `${SETTINGS.throttleMaxLockSeconds.env} must not be less than ${SETTINGS.throttleBaseLockSeconds.env}`,
    );
  }
  return policy;
};

/** The browser origins allowed to call the API (CORS_ALLOWED_ORIGINS), for the local API's own answers. */
export const readCorsAllowedOrigins = (env: Env = process.env): string[] =>
  readSetting(env, SETTINGS.corsAllowedOrigins);

/** The local key sets as files (`npm start`, `npm run keys`), instead of values in the environment. */
const KEY_FILE_SETTINGS = ['SIGNING_KEYS_FILE', 'PUBLIC_KEYS_FILE'] as const;

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
const signingKeys = (env: Env): SecretSource => secretSource(env, KEY_VARIABLES.signingKeys, 1);
/** The public JWKS (lib/tokens/public-jwks.ts), for the functions that only verify or publish. */
const publicKeys = (env: Env): SecretSource => secretSource(env, KEY_VARIABLES.publicKeys, 1);

const readTokenPolicy = (env: Env): TokenPolicy => ({
  issuer: readSetting(env, SETTINGS.tokenIssuer),
  audience: readSetting(env, SETTINGS.tokenAudience),
  ttlSeconds: readSetting(env, SETTINGS.tokenTtlSeconds),
  clientIds: readSetting(env, SETTINGS.clientIds),
});

const readSessionsTableConfig = (env: Env): SessionsTableConfig => {
  const sessionPolicy = {
    ttlSeconds: readSetting(env, SETTINGS.refreshTokenTtlSeconds),
    idleSeconds: readSetting(env, SETTINGS.refreshTokenIdleSeconds),
    reuseGraceSeconds: readSetting(env, SETTINGS.refreshReuseGraceSeconds),
    maxPerUser: readSetting(env, SETTINGS.maxSessionsPerUser),
  };
  return { sessionsTableName: required(env, TABLE_VARIABLES.sessions), sessionPolicy };
};

const readHttpConfig = (env: Env): HttpConfig => ({
  dynamoDbEndpoint: optional(env, DYNAMODB_ENDPOINT_VARIABLE),
  tokenPolicy: readTokenPolicy(env),
  corsAllowedOrigins: readSetting(env, SETTINGS.corsAllowedOrigins),
});

/** The login function's configuration, read once; throws ConfigError on anything missing or invalid. */
export const readLoginConfig = (env: Env = process.env): LoginConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    usersTableName: required(env, TABLE_VARIABLES.users),
    attemptsTableName: required(env, TABLE_VARIABLES.attempts),
    identifierKey: secretSource(env, KEY_VARIABLES.identifierKey),
    refreshKey: secretSource(env, KEY_VARIABLES.refreshKey),
    ...readSessionsTableConfig(env),
    signingKeys: signingKeys(env),
    bcryptCost: readBcryptCost(env),
    throttlePolicy: readThrottlePolicy(env),
    devices: {
      ttlSeconds: readSetting(env, SETTINGS.deviceTokenTtlSeconds),
      maxFailures: readSetting(env, SETTINGS.deviceMaxFailures),
    },
    accountCap: {
      maxFailures: readSetting(env, SETTINGS.accountMaxFailures),
      memorySeconds: DEFAULTS.accountMemorySeconds,
    },
  };
};

/** `/api/auth/me`: the users and sessions tables, the public keys that verify, the claims. */
export interface MeConfig extends HttpConfig, SessionsTableConfig {
  usersTableName: string;
  publicKeys: SecretSource;
}

export const readMeConfig = (env: Env = process.env): MeConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    usersTableName: required(env, TABLE_VARIABLES.users),
    ...readSessionsTableConfig(env),
    publicKeys: publicKeys(env),
  };
};

/**
 * `/api/auth/refresh`, `/token`, `/revoke` and `/logout`: the users and sessions tables, the refresh
 * key, and the private key set it signs with (and whose public half verifies a logout's bearer token).
 */
export interface RefreshConfig extends HttpConfig, SessionsTableConfig {
  usersTableName: string;
  refreshKey: SecretSource;
  signingKeys: SecretSource;
}

export const readRefreshConfig = (env: Env = process.env): RefreshConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    usersTableName: required(env, TABLE_VARIABLES.users),
    ...readSessionsTableConfig(env),
    refreshKey: secretSource(env, KEY_VARIABLES.refreshKey),
    signingKeys: signingKeys(env),
  };
};

/**
 * The sessions function (logout everywhere, the list, ending one session): the users and sessions
 * tables and the public JWKS (it only verifies access tokens). No refresh key: it never needs to
 * check or make a refresh token.
 */
export interface SessionsConfig extends HttpConfig, SessionsTableConfig {
  usersTableName: string;
  publicKeys: SecretSource;
}

export const readSessionsConfig = (env: Env = process.env): SessionsConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    usersTableName: required(env, TABLE_VARIABLES.users),
    ...readSessionsTableConfig(env),
    publicKeys: publicKeys(env),
  };
};

/**
 * `POST /api/auth/password`: a login's checks (the attempts table, the identifier key, bcrypt) on
 * a bearer caller, the password policy, and a new session it signs a token for. It verifies the
 * caller's token with the public half of the private key set it already reads.
 */
/**
 * The password change function's configuration: a login's (it checks a password under the same
 * budgets and answers the same grant) and the password policy.
 */
export interface PasswordConfig extends LoginConfig {
  passwordPolicy: PasswordPolicy;
}

export const readPasswordConfig = (env: Env = process.env): PasswordConfig => ({
  ...readLoginConfig(env),
  passwordPolicy: readPasswordPolicy(env),
});

/** Who we are to passkeys, and where their items and challenges are kept. */
interface PasskeysTableConfig {
  passkeysTableName: string;
  passkeyChallengesTableName: string;
  relyingParty: RelyingParty;
}

/** Passkeys a user may have at most. */
export const MAX_PASSKEYS_PER_USER = 20;

/** True when the origin's host is the RP ID or one of its subdomains, as WebAuthn requires. */
const originFitsRpId = (origin: string, rpId: string): boolean => {
  const host = new URL(origin).hostname;
  return host === rpId || host.endsWith(`.${rpId}`);
};

const readPasskeysTableConfig = (env: Env): PasskeysTableConfig => {
  const relyingParty = {
    id: readSetting(env, SETTINGS.webauthnRpId),
    name: readSetting(env, SETTINGS.webauthnRpName),
    origins: readSetting(env, SETTINGS.webauthnOrigins),
  };
  const stray = relyingParty.origins.find((origin) => !originFitsRpId(origin, relyingParty.id));
  if (stray) {
    throw new ConfigError(
      `${SETTINGS.webauthnOrigins.env}: ${stray} is not on ${relyingParty.id} (${SETTINGS.webauthnRpId.env}) or a subdomain of it`,
    );
  }
  return {
    passkeysTableName: required(env, TABLE_VARIABLES.passkeys),
    passkeyChallengesTableName: required(env, TABLE_VARIABLES.passkeyChallenges),
    relyingParty,
  };
};

/**
 * The passkeys function (registration, the list, deleting one): it verifies access tokens (the
 * public JWKS) and never signs; the users and sessions tables for the caller and the fresh
 * sign-in rule.
 */
export interface PasskeysConfig extends HttpConfig, SessionsTableConfig, PasskeysTableConfig {
  usersTableName: string;
  publicKeys: SecretSource;
  passkeyPolicy: PasskeyPolicy;
}

export const readPasskeysConfig = (env: Env = process.env): PasskeysConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    usersTableName: required(env, TABLE_VARIABLES.users),
    ...readSessionsTableConfig(env),
    ...readPasskeysTableConfig(env),
    publicKeys: publicKeys(env),
    passkeyPolicy: {
      maxPerUser: MAX_PASSKEYS_PER_USER,
      freshSignInSeconds: readSetting(env, SETTINGS.passkeyFreshLoginSeconds),
    },
  };
};

/**
 * The passkey sign-in function: it starts sessions and signs their tokens, as the login does, so
 * it reads the private key set and the refresh key.
 */
export interface PasskeySignInConfig extends HttpConfig, SessionsTableConfig, PasskeysTableConfig {
  usersTableName: string;
  refreshKey: SecretSource;
  signingKeys: SecretSource;
  /** The lifetime of the device token its grant carries, as the login's (DEVICE_TOKEN_TTL_SECONDS). */
  deviceTokenTtlSeconds: number;
}

export const readPasskeySignInConfig = (env: Env = process.env): PasskeySignInConfig => {
  refuseLocalOnlySettings(env);
  return {
    ...readHttpConfig(env),
    usersTableName: required(env, TABLE_VARIABLES.users),
    ...readSessionsTableConfig(env),
    ...readPasskeysTableConfig(env),
    refreshKey: secretSource(env, KEY_VARIABLES.refreshKey),
    signingKeys: signingKeys(env),
    deviceTokenTtlSeconds: readSetting(env, SETTINGS.deviceTokenTtlSeconds),
  };
};

/** `/.well-known/*`: the public keys and the issuer. */
export interface WellKnownConfig {
  publicKeys: SecretSource;
  tokenPolicy: TokenPolicy;
  corsAllowedOrigins: string[];
}

export const readWellKnownConfig = (env: Env = process.env): WellKnownConfig => {
  refuseLocalOnlySettings(env);
  const { tokenPolicy, corsAllowedOrigins } = readHttpConfig(env);
  return { publicKeys: publicKeys(env), tokenPolicy, corsAllowedOrigins };
};

/** What the users CLI needs to unlock an identifier or an account: the attempts table and the identifier key. */
export interface UnlockConfig {
  attemptsTableName: string;
  identifierKey: SecretSource;
}

export const readUnlockConfig = (env: Env = process.env): UnlockConfig => ({
  attemptsTableName: required(env, TABLE_VARIABLES.attempts),
  identifierKey: secretSource(env, KEY_VARIABLES.identifierKey),
});

/** The rules a new password must meet (lib/users/password-policy.ts), wherever one is set. */
export const readPasswordPolicy = (env: Env = process.env): PasswordPolicy => ({
  minLength: readSetting(env, SETTINGS.passwordMinLength),
  pwnedPasswordsUrl: readSetting(env, SETTINGS.pwnedPasswordsCheck)
    ? readSetting(env, SETTINGS.pwnedPasswordsUrl)
    : undefined,
});

/** The bcrypt cost alone, for the scripts that hash passwords (users CLI, local seeding). */
export const readBcryptCost = (env: Env = process.env): number => readSetting(env, SETTINGS.bcryptCost);

/**
 * The key rotation function: how long a retired key stays published (the stack derives it), and
 * the public JWKS secret it rewrites at each rotation.
 */
export interface KeyRotationConfig {
  retiredKeyRetainSeconds: number;
  publicKeysSecretId: string;
}

/**
 * The key setup custom resource: only the retention. It takes both secrets from its resource
 * properties, so it has no PUBLIC_KEYS_SECRET_ARN to read and must not require one.
 */
export const readKeySetupConfig = (env: Env = process.env): Pick<KeyRotationConfig, 'retiredKeyRetainSeconds'> => ({
  retiredKeyRetainSeconds: readSetting(env, SETTINGS.retiredKeyRetainSeconds),
});

export const readKeyRotationConfig = (env: Env = process.env): KeyRotationConfig => ({
  retiredKeyRetainSeconds: readSetting(env, SETTINGS.retiredKeyRetainSeconds),
  publicKeysSecretId: required(env, secretArnVariable(KEY_VARIABLES.publicKeys)),
});
