import { Annotations, CfnOutput, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ApiFirewall } from '#infra/constructs/api-firewall.ts';
import { AuthApi } from '#infra/constructs/auth-api.ts';
import { LoginAlarms } from '#infra/constructs/login-alarms.ts';
import { LoginAttemptsTable } from '#infra/constructs/login-attempts-table.ts';
import { PasskeyChallengesTable } from '#infra/constructs/passkey-challenges-table.ts';
import { PasskeysTable } from '#infra/constructs/passkeys-table.ts';
import { SealedSecret, SecretsKey } from '#infra/constructs/secrets-key.ts';
import { ServiceFunction, type ServiceFunctionProps } from '#infra/constructs/service-function.ts';
import { SessionsTable } from '#infra/constructs/sessions-table.ts';
import { SigningKeys } from '#infra/constructs/signing-keys.ts';
import { UsersTable } from '#infra/constructs/users-table.ts';
import { HTTP_FUNCTIONS, HTTP_PATHS, HTTP_ROUTES, type HttpFunctionName } from '#lib/http/routes.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#lib/service.ts';
import {
  KEY_VARIABLES,
  LOCAL_ONLY_SETTINGS,
  secretArnVariable,
  settingsEnvironment,
  TABLE_VARIABLES,
} from '#lib/settings.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';
import { PROFILE_ATTRIBUTES, SESSION_STATE_ATTRIBUTES } from '#lib/users/table.ts';

/** What an operator may change without editing code; see the README's settings table. */
export interface AuthStackSettings {
  stageName: string;
  tokenTtlSeconds: number;
  /** The `iss` claim; the API's base URL when unset (set it for a custom domain). */
  tokenIssuer: string | undefined;
  keyRotationDays: number;
  tokenAudience: string;
  /** The registered client ids, the default first (`client_id` of access tokens). */
  clientIds: string[];
  bcryptCost: number;
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
  throttleMaxFailures: number;
  throttleWindowSeconds: number;
  deviceTokenTtlSeconds: number;
  deviceMaxFailures: number;
  accountMaxFailures: number;
  refreshTokenTtlSeconds: number;
  refreshTokenIdleSeconds: number;
  refreshReuseGraceSeconds: number;
  maxSessionsPerUser: number;
  passwordMinLength: number;
  /** Whether new passwords are also looked up in Have I Been Pwned (egress to a third party). */
  pwnedPasswordsCheck: boolean;
  corsAllowedOrigins: string[];
  webauthnRpId: string;
  webauthnRpName: string;
  webauthnOrigins: string[];
  passkeyFreshLoginSeconds: number;
  wafEnabled: boolean;
  wafRateLimit: number;
  failureAlarmThreshold: number;
  logLevel: string;
  logRetention: RetentionDays;
  memorySize: number;
}

export interface AuthStackProps extends StackProps {
  settings: AuthStackSettings;
}

const generatedKey = (
  scope: Construct,
  id: string,
  secretsKey: SecretsKey,
  description: string,
  noRotation: string,
): SealedSecret => {
  const secret = new SealedSecret(scope, id, {
    description,
    secretsKey,
    generateSecretString: { passwordLength: 64, excludePunctuation: true },
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: noRotation });
  return secret;
};

/** Movie Knight Auth: the tables, the keys, the functions, their API and the alarms. */
export class AuthStack extends Stack {
  constructor(scope: Construct, id: string, { settings, ...props }: AuthStackProps) {
    super(scope, id, props);
    Tags.of(this).add('service', SERVICE_NAME);

    const users = new UsersTable(this, 'Users');
    const attempts = new LoginAttemptsTable(this, 'LoginAttempts');
    const sessions = new SessionsTable(this, 'Sessions');
    const passkeys = new PasskeysTable(this, 'Passkeys');
    const passkeyChallenges = new PasskeyChallengesTable(this, 'PasskeyChallenges');
    // Encrypts the secrets that hold key material, sealed to the roles granted them.
    const secretsKey = new SecretsKey(this, 'SecretsKey');
    const signingKeys = new SigningKeys(this, 'SigningKeys', {
      secretsKey,
      rotationDays: settings.keyRotationDays,
      retainRetiredSeconds: settings.tokenTtlSeconds + JWKS_CACHE_MARGIN_SECONDS,
      logRetention: settings.logRetention,
      logLevel: settings.logLevel,
    });
    const identifierKey = generatedKey(
      this,
      'IdentifierKey',
      secretsKey,
      'Movie Knight Auth: HMAC key for identifiers in counters and logs',
      'Rotating it would only reset every throttling counter and break log correlation; it protects nothing that expires.',
    );
    const refreshKey = generatedKey(
      this,
      'RefreshKey',
      secretsKey,
      'Movie Knight Auth: HMAC key of refresh tokens',
      'Rotating it ends every session at once (every refresh token stops working); that is an incident response, done by hand (README, Operations), not a schedule.',
    );

    const api = new AuthApi(this, 'LoginApi', {
      stageName: settings.stageName,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      corsAllowedOrigins: settings.corsAllowedOrigins,
      logRetention: settings.logRetention,
    });
    const issuer = settings.tokenIssuer ?? api.baseUrl(settings.stageName);
    const functionDefaults = { logLevel: settings.logLevel, logRetention: settings.logRetention };
    // Every variable named by the one settings definition (lib/settings.ts) that the functions read.
    const tokenEnvironment = {
      ...settingsEnvironment({
        tokenIssuer: issuer,
        tokenAudience: settings.tokenAudience,
        clientIds: settings.clientIds,
        tokenTtlSeconds: settings.tokenTtlSeconds,
        corsAllowedOrigins: settings.corsAllowedOrigins,
      }),
      // Local-only settings, declared empty so that `sam local --env-vars` may set them (SAM
      // overrides only declared variables). The functions refuse them if set in AWS.
      ...Object.fromEntries(LOCAL_ONLY_SETTINGS.map((name) => [name, ''])),
    };
    const usersTableEnvironment = { [TABLE_VARIABLES.users]: users.table.tableName };
    const sessionEnvironment = {
      [TABLE_VARIABLES.sessions]: sessions.table.tableName,
      ...settingsEnvironment({
        refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
        refreshTokenIdleSeconds: settings.refreshTokenIdleSeconds,
        refreshReuseGraceSeconds: settings.refreshReuseGraceSeconds,
        maxSessionsPerUser: settings.maxSessionsPerUser,
      }),
    };
    const passkeyEnvironment = {
      [TABLE_VARIABLES.passkeys]: passkeys.table.tableName,
      [TABLE_VARIABLES.passkeyChallenges]: passkeyChallenges.table.tableName,
      ...settingsEnvironment({
        webauthnRpId: settings.webauthnRpId,
        webauthnRpName: settings.webauthnRpName,
        webauthnOrigins: settings.webauthnOrigins,
      }),
    };
    const secretEnvironment = (name: keyof typeof KEY_VARIABLES, secret: { secretArn: string }) => ({
      [secretArnVariable(KEY_VARIABLES[name])]: secret.secretArn,
    });

    const fn = (name: HttpFunctionName, props: Omit<ServiceFunctionProps, 'entry' | 'logLevel' | 'logRetention'>) =>
      new ServiceFunction(this, HTTP_FUNCTIONS[name].constructId, {
        ...functionDefaults,
        ...props,
        entry: `functions/${HTTP_FUNCTIONS[name].folder}/handler.ts`,
      });

    // What checks a password as a login does (login, and the password change): the keys, tables
    // and budgets of the throttle, the device tokens and the account cap, and a signer.
    const passwordCheckEnvironment = {
      ...tokenEnvironment,
      ...sessionEnvironment,
      ...secretEnvironment('signingKeys', signingKeys.secret),
      ...usersTableEnvironment,
      [TABLE_VARIABLES.attempts]: attempts.table.tableName,
      ...secretEnvironment('identifierKey', identifierKey),
      ...secretEnvironment('refreshKey', refreshKey),
      ...settingsEnvironment({
        bcryptCost: settings.bcryptCost,
        throttleMaxFailures: settings.throttleMaxFailures,
        throttleWindowSeconds: settings.throttleWindowSeconds,
        deviceTokenTtlSeconds: settings.deviceTokenTtlSeconds,
        deviceMaxFailures: settings.deviceMaxFailures,
        accountMaxFailures: settings.accountMaxFailures,
      }),
    };

    const loginFunction = fn('login', {
      // bcrypt is CPU-bound and single-threaded; 1,769 MB is exactly one vCPU (README, Performance).
      memorySize: settings.memorySize,
      environment: passwordCheckEnvironment,
    });
    users.grantLookup(loginFunction);
    // The re-read of a user whose item moved on between the index and the session start (a logout
    // everywhere): the whole item, as the index already gives it, since its hash is compared.
    users.grantReadById(loginFunction);
    users.grantPasswordHashUpdate(loginFunction);
    users.grantSessionGuard(loginFunction);
    attempts.grantCounting(loginFunction);
    signingKeys.grantSigning(loginFunction);
    identifierKey.grantRead(loginFunction);
    sessions.grantStart(loginFunction);
    refreshKey.grantRead(loginFunction);

    const meFunction = fn('me', {
      memorySize: 512,
      environment: {
        ...tokenEnvironment,
        ...sessionEnvironment,
        ...secretEnvironment('publicKeys', signingKeys.publicKeys),
        ...usersTableEnvironment,
      },
    });
    // The profile only, never the password hash (lib/users/user.ts).
    users.grantReadAttributesById(meFunction, PROFILE_ATTRIBUTES);
    sessions.grantReadById(meFunction);
    // Verifiers read the public JWKS only: a flaw in a public-facing function cannot leak a private key.
    signingKeys.grantVerifying(meFunction);

    // Refresh is its own function: it signs (so it reads the private keys) and rotates, and it is
    // the hot path every client calls every few minutes, so it loads nothing else. It is the one
    // HTTP function besides login and the password change that holds the refresh key, so logout
    // and revocation (which check a refresh token) are its routes too.
    const refreshFunction = fn('refresh', {
      memorySize: 512,
      environment: {
        ...tokenEnvironment,
        ...sessionEnvironment,
        ...secretEnvironment('signingKeys', signingKeys.secret),
        ...usersTableEnvironment,
        ...secretEnvironment('refreshKey', refreshKey),
      },
    });
    users.grantReadAttributesById(refreshFunction, PROFILE_ATTRIBUTES);
    sessions.grantRefresh(refreshFunction);
    // It signs new access tokens: the one function besides login that reads the private key set.
    signingKeys.grantSigning(refreshFunction);
    refreshKey.grantRead(refreshFunction);

    // Logout everywhere and the session list: they verify tokens and end sessions, and never sign
    // one. No refresh key: with the sessions' salts and generations it could make any session's
    // current refresh token, so logout (by refresh token) is the refresh function's.
    const sessionsFunction = fn('sessions', {
      memorySize: 512,
      environment: {
        ...tokenEnvironment,
        ...sessionEnvironment,
        ...secretEnvironment('publicKeys', signingKeys.publicKeys),
        ...usersTableEnvironment,
      },
    });
    // Whether a session is of the user's current epoch, and nothing else of the user.
    users.grantReadAttributesById(sessionsFunction, SESSION_STATE_ATTRIBUTES);
    users.grantEndAllSessions(sessionsFunction);
    sessions.grantManage(sessionsFunction);
    signingKeys.grantVerifying(sessionsFunction);

    // A password change is a login's checks on a bearer caller and a new session: its own function,
    // since it signs (it reads the private key set, and verifies with its public half) and writes
    // the password hash and the epoch, which no other HTTP function may.
    const passwordFunction = fn('password', {
      // Two bcrypt runs (the compare, then the new hash): one vCPU, as for login.
      memorySize: settings.memorySize,
      environment: {
        ...passwordCheckEnvironment,
        ...settingsEnvironment({
          passwordMinLength: settings.passwordMinLength,
          pwnedPasswordsCheck: String(settings.pwnedPasswordsCheck),
        }),
      },
    });
    users.grantReadById(passwordFunction);
    users.grantPasswordChange(passwordFunction);
    attempts.grantCounting(passwordFunction);
    sessions.grantPasswordChange(passwordFunction);
    signingKeys.grantSigning(passwordFunction);
    identifierKey.grantRead(passwordFunction);
    refreshKey.grantRead(passwordFunction);

    const wellKnownFunction = fn('wellKnown', {
      memorySize: 512,
      environment: { ...tokenEnvironment, ...secretEnvironment('publicKeys', signingKeys.publicKeys) },
    });
    signingKeys.grantVerifying(wellKnownFunction);

    // Passkey registration, the list and deleting one: they verify tokens and never sign one.
    const passkeysFunction = fn('passkeys', {
      memorySize: 512,
      environment: {
        ...tokenEnvironment,
        ...sessionEnvironment,
        ...passkeyEnvironment,
        ...settingsEnvironment({ passkeyFreshLoginSeconds: settings.passkeyFreshLoginSeconds }),
        ...secretEnvironment('publicKeys', signingKeys.publicKeys),
        ...usersTableEnvironment,
      },
    });
    users.grantReadAttributesById(passkeysFunction, PROFILE_ATTRIBUTES);
    sessions.grantReadById(passkeysFunction);
    passkeys.grantManage(passkeysFunction);
    passkeyChallenges.grantIssueAndConsume(passkeysFunction);
    signingKeys.grantVerifying(passkeysFunction);

    // Passkey sign-in starts sessions and signs their tokens, as the login does; no bcrypt, so the
    // memory of the other small functions.
    const passkeySignInFunction = fn('passkeySignIn', {
      memorySize: 512,
      environment: {
        ...tokenEnvironment,
        ...sessionEnvironment,
        ...passkeyEnvironment,
        ...secretEnvironment('signingKeys', signingKeys.secret),
        ...usersTableEnvironment,
        ...secretEnvironment('refreshKey', refreshKey),
        ...settingsEnvironment({ deviceTokenTtlSeconds: settings.deviceTokenTtlSeconds }),
      },
    });
    users.grantReadById(passkeySignInFunction);
    // The login's session start: one transaction with a check on the user item (its hash and epoch).
    users.grantSessionGuard(passkeySignInFunction);
    sessions.grantStart(passkeySignInFunction);
    passkeys.grantSignIn(passkeySignInFunction);
    passkeyChallenges.grantIssueAndConsume(passkeySignInFunction);
    signingKeys.grantSigning(passkeySignInFunction);
    refreshKey.grantRead(passkeySignInFunction);

    // The operator: `npm run keys`, `npm run users -- unlock` and the refresh key runbooks.
    signingKeys.grantOperating(secretsKey.operator);
    identifierKey.grantRead(secretsKey.operator);
    refreshKey.grantRead(secretsKey.operator);
    refreshKey.grantWrite(secretsKey.operator);

    // No function may answer before the first keys exist.
    const functions: Record<HttpFunctionName, ServiceFunction> = {
      login: loginFunction,
      me: meFunction,
      refresh: refreshFunction,
      sessions: sessionsFunction,
      password: passwordFunction,
      wellKnown: wellKnownFunction,
      passkeys: passkeysFunction,
      passkeySignIn: passkeySignInFunction,
    };
    for (const fn of Object.values(functions)) fn.node.addDependency(signingKeys.setup);
    for (const route of HTTP_ROUTES) api.addRoute(route.method, route.path, functions[route.function]);
    if (settings.wafEnabled) {
      // The id of the login-only firewall it was: a new one would replace the deployed web ACL.
      new ApiFirewall(this, 'LoginFirewall', {
        stageArn: api.api.deploymentStage.stageArn,
        rateLimitPer5Minutes: settings.wafRateLimit,
      });
    } else {
      // Only ever on purpose: the operator said wafEnabled=false.
      Validations.of(api.api).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'The per-source WAF limit was turned off on purpose (wafEnabled=false); see docs/security.md.',
      });
      Annotations.of(this).addWarningV2(
        'movie-knight:waf-off',
        'wafEnabled=false: no per-source limit; one source can use up the stage throttle for every user. See docs/security.md.',
      );
    }
    new LoginAlarms(this, 'LoginAlarms', {
      namespace: METRICS_NAMESPACE,
      service: SERVICE_NAME,
      failureThreshold: settings.failureAlarmThreshold,
    });

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output('ApiUrl', api.api.url, 'Base URL of the API stage');
    output('LoginUrl', api.api.urlForPath('/api/auth/login'), 'POST here to log in');
    output(
      'Issuer',
      issuer,
      'The iss claim; metadata at <Issuer>/.well-known/openid-configuration and /.well-known/oauth-authorization-server',
    );
    output('JwksUrl', `${issuer}${HTTP_PATHS.jwks}`, 'Public keys that verify access tokens');
    output('TokenEndpoint', `${issuer}${HTTP_PATHS.token}`, 'RFC 6749 token endpoint (refresh grant)');
    output('TableName', users.table.tableName, 'The users table');
    output('AttemptsTableName', attempts.table.tableName, 'Failed-login counters');
    output('SigningKeysSecretArn', signingKeys.secret.secretArn, 'Token signing key set (private)');
    output('PublicKeysSecretArn', signingKeys.publicKeys.secretArn, 'Public JWKS of the signing keys');
    output('IdentifierKeySecretArn', identifierKey.secretArn, 'Identifier HMAC key');
    output('SessionsTableName', sessions.table.tableName, 'Sessions (refresh token state, never the tokens)');
    output('RefreshKeySecretArn', refreshKey.secretArn, 'Refresh token HMAC key');
    output('PasskeysTableName', passkeys.table.tableName, 'Passkeys (public keys, never a secret)');
    output('KeyOperatorRoleArn', secretsKey.operator.roleArn, 'Assume it to run npm run keys (docs/operations.md)');
    output('PasskeyChallengesTableName', passkeyChallenges.table.tableName, 'Single-use passkey challenges');
  }
}
