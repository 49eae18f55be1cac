import { describe, expect, it } from 'vitest';
import { ConfigError } from '#lib/errors.ts';
import {
  readBcryptCost,
  readKeyRotationConfig,
  readLoginConfig,
  readMeConfig,
  readWellKnownConfig,
} from '#lib/function-config.ts';

const KEY = 'k'.repeat(32);
const MINIMAL = {
  USERS_TABLE_NAME: 'users',
  ATTEMPTS_TABLE_NAME: 'attempts',
  SIGNING_KEYS: '{"keys":[]}',
  IDENTIFIER_KEY: KEY,
  REFRESH_KEY: KEY,
  SESSIONS_TABLE_NAME: 'sessions',
  TOKEN_ISSUER: 'https://auth.example.com',
};

type Case = [Record<string, string | undefined>, string];

describe('readLoginConfig', () => {
  it('applies the documented defaults', () => {
    expect(
      readLoginConfig({
        USERS_TABLE_NAME: 'users',
        ATTEMPTS_TABLE_NAME: 'attempts',
        SIGNING_KEYS_SECRET_ARN: 'arn:signing',
        IDENTIFIER_KEY_SECRET_ARN: 'arn:identifier',
        REFRESH_KEY_SECRET_ARN: 'arn:refresh',
        SESSIONS_TABLE_NAME: 'sessions',
        TOKEN_ISSUER: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
      }),
    ).toEqual({
      usersTableName: 'users',
      attemptsTableName: 'attempts',
      dynamoDbEndpoint: undefined,
      identifierKey: { secretId: 'arn:identifier' },
      refreshKey: { secretId: 'arn:refresh' },
      sessionsTableName: 'sessions',
      // 30 days absolute, 15 days idle, 30 s retry grace, 100 sessions.
      sessionPolicy: { ttlSeconds: 2_592_000, idleSeconds: 1_296_000, reuseGraceSeconds: 30, maxPerUser: 100 },
      signingKeys: { secretId: 'arn:signing' },
      tokenPolicy: {
        issuer: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
        audience: 'movie-knight',
        ttlSeconds: 900,
        clientIds: ['movie-knight-app'],
      },
      bcryptCost: 10,
      throttlePolicy: { maxFailures: 5, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 },
      // A year; five wrong passwords end a device token; NIST's 100 per account, kept a year.
      devices: { ttlSeconds: 31_536_000, maxFailures: 5 },
      accountCap: { maxFailures: 100, memorySeconds: 31_536_000 },
      corsAllowedOrigins: [],
    });
  });

  it('reads every override', () => {
    expect(
      readLoginConfig({
        ...MINIMAL,
        DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
        TOKEN_ISSUER: 'http://127.0.0.1:3000',
        TOKEN_AUDIENCE: 'aud',
        TOKEN_TTL_SECONDS: '600',
        BCRYPT_COST: '12',
        THROTTLE_MAX_FAILURES: '3',
        THROTTLE_WINDOW_SECONDS: '600',
        THROTTLE_BASE_LOCK_SECONDS: '30',
        THROTTLE_MAX_LOCK_SECONDS: '300',
        CORS_ALLOWED_ORIGINS: 'https://app.example.com, https://www.example.com',
        REFRESH_TOKEN_TTL_SECONDS: '86400',
        REFRESH_TOKEN_IDLE_SECONDS: '3600',
        REFRESH_REUSE_GRACE_SECONDS: '10',
        MAX_SESSIONS_PER_USER: '5',
        CLIENT_IDS: 'ios-app, web.app',
        DEVICE_TOKEN_TTL_SECONDS: '86400',
        DEVICE_MAX_FAILURES: '3',
        ACCOUNT_MAX_FAILURES: '50',
      }),
    ).toEqual({
      usersTableName: 'users',
      attemptsTableName: 'attempts',
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      identifierKey: { value: KEY },
      refreshKey: { value: KEY },
      sessionsTableName: 'sessions',
      sessionPolicy: { ttlSeconds: 86_400, idleSeconds: 3600, reuseGraceSeconds: 10, maxPerUser: 5 },
      signingKeys: { value: '{"keys":[]}' },
      tokenPolicy: {
        issuer: 'http://127.0.0.1:3000',
        audience: 'aud',
        ttlSeconds: 600,
        clientIds: ['ios-app', 'web.app'],
      },
      bcryptCost: 12,
      throttlePolicy: { maxFailures: 3, windowSeconds: 600, baseLockSeconds: 30, maxLockSeconds: 300 },
      devices: { ttlSeconds: 86_400, maxFailures: 3 },
      accountCap: { maxFailures: 50, memorySeconds: 31_536_000 },
      corsAllowedOrigins: ['https://app.example.com', 'https://www.example.com'],
    });
  });

  it.each<Case>([
    [{ ...MINIMAL, USERS_TABLE_NAME: undefined }, 'Environment variable USERS_TABLE_NAME is required'],
    [{ ...MINIMAL, USERS_TABLE_NAME: ' ' }, 'Environment variable USERS_TABLE_NAME is required'],
    [{ ...MINIMAL, ATTEMPTS_TABLE_NAME: undefined }, 'Environment variable ATTEMPTS_TABLE_NAME is required'],
    [
      { ...MINIMAL, SIGNING_KEYS: undefined },
      'Environment variable SIGNING_KEYS_SECRET_ARN (or SIGNING_KEYS locally) is required',
    ],
    [{ ...MINIMAL, IDENTIFIER_KEY: 'short' }, 'IDENTIFIER_KEY must be at least 32 bytes'],
    [{ ...MINIMAL, REFRESH_KEY: 'short' }, 'REFRESH_KEY must be at least 32 bytes'],
    [{ ...MINIMAL, SESSIONS_TABLE_NAME: undefined }, 'Environment variable SESSIONS_TABLE_NAME is required'],
    [
      { ...MINIMAL, REFRESH_REUSE_GRACE_SECONDS: '0' },
      'Environment variable REFRESH_REUSE_GRACE_SECONDS must be an integer from 1 to 300',
    ],
    [{ ...MINIMAL, SIGNING_KEYS_SECRET_ARN: 'a' }, 'Set only one of SIGNING_KEYS_SECRET_ARN and SIGNING_KEYS'],
    [{ ...MINIMAL, BCRYPT_COST: '8' }, 'Environment variable BCRYPT_COST must be an integer from 10 to 15'],
    [
      { ...MINIMAL, DEVICE_TOKEN_TTL_SECONDS: '3600' },
      'Environment variable DEVICE_TOKEN_TTL_SECONDS must be an integer from 86400 to 63072000',
    ],
    [
      { ...MINIMAL, DEVICE_MAX_FAILURES: '0' },
      'Environment variable DEVICE_MAX_FAILURES must be an integer from 1 to 20',
    ],
    [
      { ...MINIMAL, ACCOUNT_MAX_FAILURES: '101' },
      'Environment variable ACCOUNT_MAX_FAILURES must be an integer from 10 to 100',
    ],
    [
      { ...MINIMAL, TOKEN_TTL_SECONDS: '1h' },
      'Environment variable TOKEN_TTL_SECONDS must be an integer from 60 to 86400',
    ],
    [
      { ...MINIMAL, THROTTLE_BASE_LOCK_SECONDS: '600', THROTTLE_MAX_LOCK_SECONDS: '60' },
      'THROTTLE_MAX_LOCK_SECONDS must not be less than THROTTLE_BASE_LOCK_SECONDS',
    ],
    [{ ...MINIMAL, TOKEN_ISSUER: undefined }, 'Environment variable TOKEN_ISSUER is required'],
    ...['movie-knight-auth', 'http://auth.example.com', 'https://auth.example.com/', 'ftp://auth.example.com'].map(
      (issuer): Case => [
        { ...MINIMAL, TOKEN_ISSUER: issuer },
        'Environment variable TOKEN_ISSUER must be an https:// URL without a trailing slash (http:// only for localhost or 127.0.0.1)',
      ],
    ),
    [
      { ...MINIMAL, TOKEN_AUDIENCE: 'movie knight' },
      'Environment variable TOKEN_AUDIENCE must be a non-empty string without spaces',
    ],
    ...['', 'a b', 'app,app', ',', 'x'.repeat(65)].map(
      (ids): Case => [
        { ...MINIMAL, CLIENT_IDS: ids || ' , ' },
        'Environment variable CLIENT_IDS must be a comma-separated list of client ids (letters, digits, ".", "_", "-", at most 64 each), the default first',
      ],
    ),
    ...['*', 'https://*.example.com', 'https://app.example.com/', 'app.example.com', 'https://app.example.com:443'].map(
      (origin): Case => [
        { ...MINIMAL, CORS_ALLOWED_ORIGINS: `https://ok.example.com,${origin}` },
        'Environment variable CORS_ALLOWED_ORIGINS must be a comma-separated list of origins like https://app.example.com (no path, no *)',
      ],
    ),
  ])('fails fast on %j', (env, message) => {
    expect(() => readLoginConfig(env)).toThrow(new ConfigError(message));
  });
});

describe('the settings the scripts and the rotation function read', () => {
  it('reads BCRYPT_COST with the same rule as the login', () => {
    expect(readBcryptCost({})).toBe(10);
    expect(readBcryptCost({ BCRYPT_COST: '12' })).toBe(12);
    expect(() => readBcryptCost({ BCRYPT_COST: '12abc' })).toThrow(
      new ConfigError('Environment variable BCRYPT_COST must be an integer from 10 to 15'),
    );
  });

  it('requires RETIRED_KEY_RETAIN_SECONDS as a whole number of seconds', () => {
    const publicKeys = { PUBLIC_KEYS_SECRET_ARN: 'arn:public' };
    expect(readKeyRotationConfig({ ...publicKeys, RETIRED_KEY_RETAIN_SECONDS: '14400' })).toEqual({
      retiredKeyRetainSeconds: 14_400,
      publicKeysSecretId: 'arn:public',
    });
    expect(() => readKeyRotationConfig(publicKeys)).toThrow(
      new ConfigError('Environment variable RETIRED_KEY_RETAIN_SECONDS is required'),
    );
    expect(() => readKeyRotationConfig({ ...publicKeys, RETIRED_KEY_RETAIN_SECONDS: '1.5' })).toThrow(
      new ConfigError('Environment variable RETIRED_KEY_RETAIN_SECONDS must be an integer from 60 to 2592000'),
    );
  });

  it('requires the public JWKS secret the rotation rewrites', () => {
    expect(() => readKeyRotationConfig({ RETIRED_KEY_RETAIN_SECONDS: '14400' })).toThrow(
      new ConfigError('Environment variable PUBLIC_KEYS_SECRET_ARN is required'),
    );
  });
});

describe('readLoginConfig in AWS Lambda', () => {
  const inLambda = {
    USERS_TABLE_NAME: 'users',
    ATTEMPTS_TABLE_NAME: 'attempts',
    SIGNING_KEYS_SECRET_ARN: 'arn:signing',
    IDENTIFIER_KEY_SECRET_ARN: 'arn:identifier',
    REFRESH_KEY_SECRET_ARN: 'arn:refresh',
    SESSIONS_TABLE_NAME: 'sessions',
    TOKEN_ISSUER: 'https://auth.example.com',
    AWS_LAMBDA_FUNCTION_NAME: 'MovieKnightAuth-LoginFunction',
    // What the stack declares so that SAM may override them: present, empty.
    DYNAMODB_ENDPOINT: '',
    SIGNING_KEYS: '',
    PUBLIC_KEYS: '',
    IDENTIFIER_KEY: '',
    REFRESH_KEY: '',
  };

  it('accepts the local-only settings declared empty', () => {
    expect(readLoginConfig(inLambda).dynamoDbEndpoint).toBeUndefined();
  });

  it.each(['DYNAMODB_ENDPOINT', 'SIGNING_KEYS', 'PUBLIC_KEYS', 'IDENTIFIER_KEY', 'REFRESH_KEY'])(
    'refuses %s when it is set',
    (name) => {
      expect(() =>
        readLoginConfig({ ...inLambda, [name]: 'http://host.docker.internal:8000-or-a-long-enough-key' }),
      ).toThrow(new ConfigError(`${name} is for local runs only and must be empty in AWS Lambda`));
    },
  );

  it('allows them under sam local, which sets AWS_SAM_LOCAL', () => {
    const local = { ...inLambda, AWS_SAM_LOCAL: 'true', DYNAMODB_ENDPOINT: 'http://host.docker.internal:8000' };
    expect(readLoginConfig(local).dynamoDbEndpoint).toBe('http://host.docker.internal:8000');
  });
});

describe('the verifying functions', () => {
  const verifying = {
    USERS_TABLE_NAME: 'users',
    SESSIONS_TABLE_NAME: 'sessions',
    TOKEN_ISSUER: 'https://auth.example.test',
    PUBLIC_KEYS_SECRET_ARN: 'arn:public',
  };

  it.each([
    ['/api/auth/me', readMeConfig],
    ['the well-known documents', readWellKnownConfig],
  ])('%s read the public JWKS, and never the private key set', (_, read) => {
    const config = read({ ...verifying, SIGNING_KEYS_SECRET_ARN: 'arn:signing' });
    expect(config.publicKeys).toEqual({ secretId: 'arn:public' });
    expect(JSON.stringify(config)).not.toContain('arn:signing');
    expect(() =>
      read({ ...verifying, PUBLIC_KEYS_SECRET_ARN: undefined, SIGNING_KEYS_SECRET_ARN: 'arn:signing' }),
    ).toThrow(new ConfigError('Environment variable PUBLIC_KEYS_SECRET_ARN (or PUBLIC_KEYS locally) is required'));
  });
});
