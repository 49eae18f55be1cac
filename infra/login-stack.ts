import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { LoginApi } from './constructs/login-api.ts';
import { LoginFunction } from './constructs/login-function.ts';
import { UsersTable } from './constructs/users-table.ts';

/** What an operator may change without editing code; see the README's settings table. */
export interface LoginStackSettings {
  stageName: string;
  tokenTtlSeconds: number;
  tokenIssuer: string;
  tokenAudience: string;
  bcryptCost: number;
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
  logLevel: string;
  logRetention: RetentionDays;
  memorySize: number;
}

export interface LoginStackProps extends StackProps {
  settings: LoginStackSettings;
}

/** Movie Knight Auth: the users table, the signing key, the login function and its API. */
export class LoginStack extends Stack {
  constructor(scope: Construct, id: string, { settings, ...props }: LoginStackProps) {
    super(scope, id, props);
    Tags.of(this).add('service', 'movie-knight-auth');

    const users = new UsersTable(this, 'Users');
    const signingKey = new Secret(this, 'SigningKey', {
      description: 'Movie Knight Auth: HS256 key that signs access tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });

    const loginFunction = new LoginFunction(this, 'LoginFunction', {
      memorySize: settings.memorySize,
      logLevel: settings.logLevel,
      logRetention: settings.logRetention,
      environment: {
        TABLE_NAME: users.table.tableName,
        SIGNING_KEY_SECRET_ARN: signingKey.secretArn,
        TOKEN_ISSUER: settings.tokenIssuer,
        TOKEN_AUDIENCE: settings.tokenAudience,
        TOKEN_TTL_SECONDS: String(settings.tokenTtlSeconds),
        BCRYPT_COST: String(settings.bcryptCost),
      },
    });
    users.grantLookup(loginFunction);
    signingKey.grantRead(loginFunction);

    const api = new LoginApi(this, 'LoginApi', {
      loginFunction,
      stageName: settings.stageName,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
    });

    new CfnOutput(this, 'ApiUrl', { value: api.api.url, description: 'Base URL of the API stage' });
    new CfnOutput(this, 'LoginUrl', { value: api.loginUrl, description: 'POST here to log in' });
    new CfnOutput(this, 'TableName', { value: users.table.tableName, description: 'The users table' });
    new CfnOutput(this, 'SigningKeySecretArn', { value: signingKey.secretArn, description: 'Token signing key' });
  }
}
