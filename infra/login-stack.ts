import { CfnOutput, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { LOCAL_ONLY_SETTINGS } from '../lib/config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lib/service.ts';
import { LoginAlarms } from './constructs/login-alarms.ts';
import { LoginApi } from './constructs/login-api.ts';
import { LoginAttemptsTable } from './constructs/login-attempts-table.ts';
import { LoginFirewall } from './constructs/login-firewall.ts';
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
  throttleMaxFailures: number;
  throttleWindowSeconds: number;
  corsAllowedOrigins: string[];
  wafEnabled: boolean;
  wafRateLimit: number;
  failureAlarmThreshold: number;
  logLevel: string;
  logRetention: RetentionDays;
  memorySize: number;
}

export interface LoginStackProps extends StackProps {
  settings: LoginStackSettings;
}

const generatedKey = (scope: Construct, id: string, description: string, noRotation: string): Secret => {
  const secret = new Secret(scope, id, {
    description,
    generateSecretString: { passwordLength: 64, excludePunctuation: true },
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: noRotation });
  return secret;
};

/** Movie Knight Auth: the tables, the keys, the login function, its API and its alarms. */
export class LoginStack extends Stack {
  constructor(scope: Construct, id: string, { settings, ...props }: LoginStackProps) {
    super(scope, id, props);
    Tags.of(this).add('service', SERVICE_NAME);

    const users = new UsersTable(this, 'Users');
    const attempts = new LoginAttemptsTable(this, 'LoginAttempts');
    const signingKey = generatedKey(
      this,
      'SigningKey',
      'Movie Knight Auth: HS256 key that signs access tokens',
      'Rotating a shared HS256 key would cut off every verifier at once; scheduled rotation comes with asymmetric keys and a JWKS.',
    );
    const identifierKey = generatedKey(
      this,
      'IdentifierKey',
      'Movie Knight Auth: HMAC key for identifiers in counters and logs',
      'Rotating it would only reset every throttling counter and break log correlation; it protects nothing that expires.',
    );

    const loginFunction = new LoginFunction(this, 'LoginFunction', {
      memorySize: settings.memorySize,
      logLevel: settings.logLevel,
      logRetention: settings.logRetention,
      environment: {
        TABLE_NAME: users.table.tableName,
        ATTEMPTS_TABLE_NAME: attempts.table.tableName,
        SIGNING_KEY_SECRET_ARN: signingKey.secretArn,
        IDENTIFIER_KEY_SECRET_ARN: identifierKey.secretArn,
        TOKEN_ISSUER: settings.tokenIssuer,
        TOKEN_AUDIENCE: settings.tokenAudience,
        TOKEN_TTL_SECONDS: String(settings.tokenTtlSeconds),
        BCRYPT_COST: String(settings.bcryptCost),
        THROTTLE_MAX_FAILURES: String(settings.throttleMaxFailures),
        THROTTLE_WINDOW_SECONDS: String(settings.throttleWindowSeconds),
        CORS_ALLOWED_ORIGINS: settings.corsAllowedOrigins.join(','),
        // Local-only settings, declared empty so that `sam local --env-vars` may set them (SAM
        // overrides only declared variables). The function refuses them if set in AWS.
        ...Object.fromEntries(LOCAL_ONLY_SETTINGS.map((name) => [name, ''])),
      },
    });
    users.grantLookup(loginFunction);
    users.grantPasswordHashUpdate(loginFunction);
    attempts.grantCounting(loginFunction);
    signingKey.grantRead(loginFunction);
    identifierKey.grantRead(loginFunction);

    const api = new LoginApi(this, 'LoginApi', {
      loginFunction,
      stageName: settings.stageName,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      corsAllowedOrigins: settings.corsAllowedOrigins,
      logRetention: settings.logRetention,
    });
    if (settings.wafEnabled) {
      new LoginFirewall(this, 'LoginFirewall', {
        stageArn: api.api.deploymentStage.stageArn,
        rateLimitPer5Minutes: settings.wafRateLimit,
      });
    }
    new LoginAlarms(this, 'LoginAlarms', {
      namespace: METRICS_NAMESPACE,
      service: SERVICE_NAME,
      failureThreshold: settings.failureAlarmThreshold,
    });

    new CfnOutput(this, 'ApiUrl', { value: api.api.url, description: 'Base URL of the API stage' });
    new CfnOutput(this, 'LoginUrl', { value: api.loginUrl, description: 'POST here to log in' });
    new CfnOutput(this, 'TableName', { value: users.table.tableName, description: 'The users table' });
    new CfnOutput(this, 'SigningKeySecretArn', { value: signingKey.secretArn, description: 'Token signing key' });
    new CfnOutput(this, 'AttemptsTableName', { value: attempts.table.tableName, description: 'Failed-login counters' });
    new CfnOutput(this, 'IdentifierKeySecretArn', {
      value: identifierKey.secretArn,
      description: 'Identifier HMAC key',
    });
  }
}
