import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

const KEY = 'k'.repeat(32);

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    expect(readConfig({ TABLE_NAME: 'users', SIGNING_KEY_SECRET_ARN: 'arn:secret' })).toEqual({
      tableName: 'users',
      dynamoDbEndpoint: undefined,
      signingKey: { secretId: 'arn:secret' },
      token: { issuer: 'movie-knight-auth', audience: 'movie-knight', ttlSeconds: 3600 },
      bcryptCost: 10,
    });
  });

  it('reads every override', () => {
    expect(
      readConfig({
        TABLE_NAME: 'users',
        DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
        SIGNING_KEY: KEY,
        TOKEN_ISSUER: 'iss',
        TOKEN_AUDIENCE: 'aud',
        TOKEN_TTL_SECONDS: '600',
        BCRYPT_COST: '12',
      }),
    ).toEqual({
      tableName: 'users',
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      signingKey: { value: KEY },
      token: { issuer: 'iss', audience: 'aud', ttlSeconds: 600 },
      bcryptCost: 12,
    });
  });

  it.each([
    [{ SIGNING_KEY: KEY }, 'Environment variable TABLE_NAME is required'],
    [{ TABLE_NAME: ' ', SIGNING_KEY: KEY }, 'Environment variable TABLE_NAME is required'],
    [{ TABLE_NAME: 't' }, 'Environment variable SIGNING_KEY_SECRET_ARN (or SIGNING_KEY locally) is required'],
    [{ TABLE_NAME: 't', SIGNING_KEY: 'short' }, 'SIGNING_KEY must be at least 32 bytes'],
    [
      { TABLE_NAME: 't', SIGNING_KEY: KEY, SIGNING_KEY_SECRET_ARN: 'a' },
      'Set only one of SIGNING_KEY_SECRET_ARN and SIGNING_KEY',
    ],
    [
      { TABLE_NAME: 't', SIGNING_KEY: KEY, BCRYPT_COST: '8' },
      'Environment variable BCRYPT_COST must be an integer from 10 to 15',
    ],
    [
      { TABLE_NAME: 't', SIGNING_KEY: KEY, TOKEN_TTL_SECONDS: '1h' },
      'Environment variable TOKEN_TTL_SECONDS must be an integer from 60 to 86400',
    ],
  ])('fails fast on %j', (env, message) => {
    expect(() => readConfig(env)).toThrow(new ConfigError(message));
  });
});
