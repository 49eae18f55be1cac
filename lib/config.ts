import { ConfigError } from './errors.ts';

type Env = Record<string, string | undefined>;

/** Where the token signing key comes from: a Secrets Manager secret in AWS, a value locally. */
export type SigningKeySource = { secretId: string } | { value: string };

export interface Config {
  tableName: string;
  /** Only for DynamoDB Local; unset in AWS. */
  dynamoDbEndpoint: string | undefined;
  signingKey: SigningKeySource;
  token: { issuer: string; audience: string; ttlSeconds: number };
  bcryptCost: number;
}

export const DEFAULTS = {
  issuer: 'movie-knight-auth',
  audience: 'movie-knight',
  ttlSeconds: 3600,
  bcryptCost: 10,
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

const signingKeySource = (env: Env): SigningKeySource => {
  const secretId = optional(env, 'SIGNING_KEY_SECRET_ARN');
  const value = optional(env, 'SIGNING_KEY');
  if (secretId && value) {
    throw new ConfigError('Set only one of SIGNING_KEY_SECRET_ARN and SIGNING_KEY');
  }
  if (secretId) return { secretId };
  if (value) {
    if (Buffer.byteLength(value) < 32) throw new ConfigError('SIGNING_KEY must be at least 32 bytes');
    return { value };
  }
  throw new ConfigError('Environment variable SIGNING_KEY_SECRET_ARN (or SIGNING_KEY locally) is required');
};

/** Reads the configuration from the environment once; throws ConfigError on anything missing or invalid. */
export const readConfig = (env: Env = process.env): Config => ({
  tableName: required(env, 'TABLE_NAME'),
  dynamoDbEndpoint: optional(env, 'DYNAMODB_ENDPOINT'),
  signingKey: signingKeySource(env),
  token: {
    issuer: optional(env, 'TOKEN_ISSUER') ?? DEFAULTS.issuer,
    audience: optional(env, 'TOKEN_AUDIENCE') ?? DEFAULTS.audience,
    ttlSeconds: integer(env, 'TOKEN_TTL_SECONDS', DEFAULTS.ttlSeconds, 60, 86_400),
  },
  bcryptCost: integer(env, 'BCRYPT_COST', DEFAULTS.bcryptCost, 10, 15),
});
