import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { SECRET_REFRESH_FAILED_METRIC } from '#lib/aws/secrets.ts';
import { API_RESPONSE_HEADERS, SECURITY_HEADERS } from '#lib/http/headers.ts';
import { HTTP_FUNCTIONS, HTTP_ROUTES } from '#lib/http/routes.ts';
import { PROFILE_ATTRIBUTES, SESSION_STATE_ATTRIBUTES } from '#lib/users/table.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';
import {
  findFunction,
  type Synthesized,
  synthesize as synthesizeWithBundles,
  WITHOUT_BUNDLING,
} from '#test/support/synth.ts';

/**
 * The template for other settings, without bundling the seven functions' code: these tests read
 * the template only, and each bundling synth costs tens of seconds on two cores. The bundles
 * themselves are tested in bundle.test.ts and sam-local.test.ts.
 */
const synthesize: typeof synthesizeWithBundles = (context = {}, alter) =>
  synthesizeWithBundles({ ...WITHOUT_BUNDLING, ...context }, alter);

/** One synthesis for the tests that share a context, made when the first of them asks. */
const synthesizedOnce = (context: Record<string, unknown>) => {
  let synthesized: Synthesized | undefined;
  return () => {
    synthesized ??= synthesize(context);
    return synthesized;
  };
};

/** What an operator sets for a deployment of their own: rotation, issuer, stage, memory, TTL, throttle. */
const operated = synthesizedOnce({
  keyRotationDays: 30,
  tokenIssuer: 'https://auth.movieknight.site',
  stageName: 'v1',
  memorySize: '1024',
  tokenTtlSeconds: 600,
  throttlingRateLimit: 5,
  wafRateLimit: 100,
  deviceMaxFailures: '3',
  accountMaxFailures: 50,
});
/** CORS for one origin. */
const withCorsSynthesized = synthesizedOnce({ corsAllowedOrigins: 'https://app.example.com' });
/** The per-source limit turned off on purpose. */
const withoutWaf = synthesizedOnce({ wafEnabled: 'false' });

describe('AuthStack', () => {
  let template: Template;
  /** The default stack's cloud assembly, from the run's one synthesis. */
  let outdir: string;

  beforeAll(async () => {
    ({ template, outdir } = await sharedSynthesis());
  });

  it('routes exactly the rows of the route table, each to its function', () => {
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const pathOf = (ref: unknown): string => {
      const id = (ref as { Ref?: string }).Ref;
      const resource = id ? resources[id] : undefined;
      if (!resource) return '';
      return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
    };
    const routed = Object.values(template.findResources('AWS::ApiGateway::Method'))
      .filter((method) => method.Properties.HttpMethod !== 'OPTIONS')
      .map((method) => {
        const uri = JSON.stringify(method.Properties.Integration.Uri);
        const fn = Object.values(HTTP_FUNCTIONS).find(({ constructId }) =>
          uri.includes(findFunction(template, constructId).logicalId),
        );
        return `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId)} ${fn?.constructId}`;
      });
    const expected = HTTP_ROUTES.map(
      (route) => `${route.method} ${route.path} ${HTTP_FUNCTIONS[route.function].constructId}`,
    );
    expect(routed.sort()).toEqual(expected.sort());
  });

  it('keeps the users table, on demand, with both indexes from the shared definition', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: 'email-index',
            KeySchema: [{ AttributeName: 'emailLower', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'username-index',
            KeySchema: [{ AttributeName: 'username', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ]),
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      },
    });
    // No fixed physical name: CloudFormation generates it.
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: Match.absent() });
  });

  it('runs the login function on Node.js 24, arm64, one vCPU, well under the API timeout', () => {
    const { resource } = findFunction(template, 'LoginFunction');
    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1769,
      Timeout: 10,
      Handler: 'index.handler',
    });
    expect(resource.Properties.Environment.Variables).toMatchObject({
      USERS_TABLE_NAME: { Ref: expect.any(String) },
      SIGNING_KEYS_SECRET_ARN: { Ref: expect.stringMatching(/^SigningKeysSecret/) },
      // The issuer is the API's base URL: https://<api id>.execute-api.<region>.<suffix>/<stage>.
      TOKEN_ISSUER: {
        'Fn::Join': ['', expect.arrayContaining(['https://', { Ref: expect.stringMatching(/^LoginApi/) }])],
      },
      TOKEN_AUDIENCE: 'movie-knight',
      CLIENT_IDS: 'movie-knight-app',
      TOKEN_TTL_SECONDS: '900',
      SESSIONS_TABLE_NAME: { Ref: expect.stringMatching(/^Sessions/) },
      REFRESH_KEY_SECRET_ARN: { Ref: expect.stringMatching(/^RefreshKey/) },
      REFRESH_TOKEN_TTL_SECONDS: String(30 * 86_400),
      REFRESH_TOKEN_IDLE_SECONDS: String(15 * 86_400),
      REFRESH_REUSE_GRACE_SECONDS: '30',
      MAX_SESSIONS_PER_USER: '100',
      DEVICE_TOKEN_TTL_SECONDS: String(365 * 86_400),
      DEVICE_MAX_FAILURES: '5',
      ACCOUNT_MAX_FAILURES: '100',
    });
    // Source maps cost every cold start; they are switched on only while debugging.
    expect(resource.Properties.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
  });

  it('keeps failed-login counters in a table with a TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('lets the function Query the two indexes, rehash passwords, count attempts, start sessions, read its three secrets, and nothing more', () => {
    const { resource } = findFunction(template, 'LoginFunction');
    const role = resource.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role),
    );
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const grants = statements
      .map((statement) => `${statement.Effect === 'Deny' ? 'Deny ' : ''}${[statement.Action].flat().sort().join(' ')}`)
      .sort();
    // The Deny and the third GetItem: the global session epoch, read only (test/infra/session-control.test.ts).
    expect(grants).toEqual([
      'Deny dynamodb:BatchWriteItem dynamodb:DeleteItem dynamodb:PutItem dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:GetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem dynamodb:UpdateItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream logs:PutLogEvents',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
    ]);
    // Sessions: new items and ending old ones on the table, the cap's Query on the user index only.
    const sessionQuery = statements.find(
      (statement) => statement.Action === 'dynamodb:Query' && JSON.stringify(statement.Resource).includes('Sessions'),
    );
    expect(JSON.stringify(sessionQuery.Resource)).toContain('/index/user-index');
    const query = statements.find(
      (statement) => statement.Action === 'dynamodb:Query' && !JSON.stringify(statement.Resource).includes('Sessions'),
    );
    expect(JSON.stringify(query.Resource)).toContain('/index/email-index');
    expect(JSON.stringify(query.Resource)).toContain('/index/username-index');
    expect(query.Resource).toHaveLength(2);
    // Rehash on login may write the password hash and nothing else.
    const onTable = (table: RegExp) =>
      statements.find(
        (statement) =>
          statement.Action === 'dynamodb:UpdateItem' && table.test(JSON.stringify(statement.Resource['Fn::GetAtt'])),
      );
    const rehash = onTable(/"Users/);
    expect(rehash.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'passwordHash'] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
    });
    expect(rehash.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Users/), 'Arn'] });
    // A session starts in a transaction with a check on the user item, and the check is all it may do there.
    const guard = statements.find((statement) => statement.Action === 'dynamodb:ConditionCheckItem');
    expect(guard.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Users/), 'Arn'] });
    expect(guard.Condition).toEqual({ StringEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' } });
    // Item-level counters only: the grant names the table itself, no index and no wildcard.
    const counting = onTable(/"LoginAttempts/);
    expect(counting.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LoginAttempts/), 'Arn'] });
    // The account cap's count, on account items only.
    const capRead = statements.find(
      (statement) => statement.Action === 'dynamodb:GetItem' && JSON.stringify(statement.Resource).includes('Attempts'),
    );
    expect(capRead.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LoginAttempts/), 'Arn'] });
    expect(capRead.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['account#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['key', 'failures'] },
      StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    });
    // And the user by id: a login that met a logout everywhere reads the user again (startChecked).
    const userRead = statements.find(
      (statement) => statement.Action === 'dynamodb:GetItem' && JSON.stringify(statement.Resource).includes('"Users'),
    );
    expect(userRead.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Users/), 'Arn'] });
  });

  it('generates the identifier key at deploy time', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('makes the first signing keys at deploy time with a custom resource, before any function runs', () => {
    const [setup] = Object.entries(template.findResources('AWS::CloudFormation::CustomResource'));
    expect(setup?.[1].Properties.SecretId).toEqual({ Ref: expect.stringMatching(/^SigningKeysSecret/) });
    expect(setup?.[1].Properties.PublicKeysSecretId).toEqual({ Ref: expect.stringMatching(/^SigningKeysPublicKeys/) });
    for (const id of [
      'LoginFunction',
      'MeFunction',
      'RefreshFunction',
      'SessionsFunction',
      'PasswordFunction',
      'WellKnownFunction',
      'PasskeysFunction',
      'PasskeySignInFunction',
    ]) {
      expect(findFunction(template, id).resource.DependsOn).toContain(setup?.[0]);
    }
  });

  it('rotates the signing keys on a schedule, 90 days by default', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('^SigningKeysSecret') },
      RotationRules: { ScheduleExpression: 'rate(90 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    operated().template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  it('keeps a retired key published for the token lifetime plus three hours of JWKS caching', () => {
    const { resource } = findFunction(template, 'KeyRotationFunction');
    expect(resource.Properties.Environment.Variables.RETIRED_KEY_RETAIN_SECONDS).toBe(String(900 + 3 * 3600));
  });

  it('prunes retired keys hourly, without waiting for a rotation: a rule invokes the rotation function with the prune input', () => {
    const { logicalId } = findFunction(template, 'KeyRotationFunction');
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' },
    });
    const targets = Object.values(rules).flatMap((rule) => rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    expect(targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    // {"action":"prune","SecretId":<the private key set's ARN>}, joined by CloudFormation.
    const input = JSON.stringify(targets[0].Input);
    expect(input).toMatch(/action\W+prune/);
    expect(input).toMatch(/SecretId.+"Ref":"SigningKeysSecret/);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
    // The setup publishes with the same retention, so an update never republishes an expired key.
    expect(
      findFunction(template, 'KeySetupFunction').resource.Properties.Environment.Variables.RETIRED_KEY_RETAIN_SECONDS,
    ).toBe(String(900 + 3 * 3600));
  });

  it('routes /api/auth/me, the session routes, the password change, the OAuth endpoints, the three well-known documents and the OpenAPI document', () => {
    for (const part of [
      'me',
      'refresh',
      'token',
      'revoke',
      'oauth-authorization-server',
      'logout',
      'logout-all',
      'sessions',
      '{id}',
      'jwks.json',
      'openid-configuration',
      '.well-known',
      'openapi.json',
      'password',
      'passkeys',
      'registration',
      'authentication',
      'options',
    ]) {
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: part });
    }
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(
      (m) => m.Properties.HttpMethod,
    );
    // The passkey routes add a DELETE, a GET and four POSTs.
    expect(methods.sort()).toEqual([...Array(2).fill('DELETE'), ...Array(7).fill('GET'), ...Array(11).fill('POST')]);
  });

  it('serves the token and revocation endpoints from the refresh function, which knows the registered clients', () => {
    const refresh = findFunction(template, 'RefreshFunction');
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((method) =>
      JSON.stringify(method.Properties.Integration?.Uri ?? '').includes(refresh.logicalId),
    );
    // POST /api/auth/refresh, /token, /revoke and /logout: one function, one refresh key, one signer.
    expect(methods.map((method) => method.Properties.HttpMethod)).toEqual(['POST', 'POST', 'POST', 'POST']);
    expect(refresh.resource.Properties.Environment.Variables).toMatchObject({ CLIENT_IDS: 'movie-knight-app' });
    template.hasOutput('TokenEndpoint', {});
  });

  it('keeps sessions in a table of their own, by id and by user, with a TTL and no salt in the index', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'user-index',
          KeySchema: [
            { AttributeName: 'userId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: ['lastUsedAt', 'absoluteExpiresAt', 'endedAt', 'userAgent'],
          },
        },
      ],
    });
  });

  it('moved POST /api/auth/logout to the refresh function by its integration only: the method and resource keep their logical ids', () => {
    // The ids the deployed stack has (CloudFormation replaces a resource whose logical id changes).
    const [[methodId, method]] = Object.entries(
      template.findResources('AWS::ApiGateway::Method', {
        Properties: { ResourceId: { Ref: 'LoginApiapiauthlogoutB302BB9B' }, HttpMethod: 'POST' },
      }),
    ) as [[string, { Properties: { Integration: { Uri: unknown } } }]];
    expect(methodId).toBe('LoginApiapiauthlogoutPOST4C03614B');
    expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(
      findFunction(template, 'RefreshFunction').logicalId,
    );
  });

  it('generates the refresh key at deploy time, readable by the functions that start or refresh sessions, and the key operator', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const [refreshKeyId] = Object.keys(secrets).filter((id) => id.startsWith('RefreshKey'));
    expect(secrets[refreshKeyId!]?.Properties.GenerateSecretString).toEqual({
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes(`"Ref":"${refreshKeyId}"`))
      .flatMap((policy) => policy.Properties.Roles.map((r: { Ref: string }) => r.Ref.replace(/Role.*$/, '')))
      .sort();
    // Not the sessions function: with the sessions' salts and generations, the key makes any current refresh token.
    // The key operator replaces it (docs/operations.md, "Ending sessions").
    expect(readers).toEqual([
      'LoginFunction',
      'PasskeySignInFunction',
      'PasswordFunction',
      'RefreshFunction',
      'SecretsKeyOperator',
    ]);
    const withKey = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter((fn) => fn.Properties.Environment?.Variables?.REFRESH_KEY_SECRET_ARN)
      .map((fn) => String(fn.Metadata?.['aws:cdk:path']).split('/')[1])
      .sort();
    expect(withKey).toEqual(['LoginFunction', 'PasskeySignInFunction', 'PasswordFunction', 'RefreshFunction']);
  });

  it('uses a configured issuer, for a custom domain, instead of the API URL', () => {
    expect(findFunction(operated().template, 'MeFunction').resource.Properties.Environment.Variables.TOKEN_ISSUER).toBe(
      'https://auth.movieknight.site',
    );
  });

  it('lets only the signer and key management read the private key set; verifiers read the public JWKS', () => {
    const secretId = (prefix: string) => {
      const ids = Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) =>
        id.startsWith(prefix),
      );
      expect(ids).toHaveLength(1);
      return ids[0] ?? '';
    };
    const privateKeys = secretId('SigningKeysSecret');
    const publicKeys = secretId('SigningKeysPublicKeys');
    const roleOf = (id: string) => findFunction(template, id).resource.Properties.Role['Fn::GetAtt'][0] as string;
    const functions = [
      'LoginFunction',
      'RefreshFunction',
      'MeFunction',
      'SessionsFunction',
      'PasswordFunction',
      'WellKnownFunction',
      'PasskeysFunction',
      'PasskeySignInFunction',
      'KeySetupFunction',
      'KeyRotationFunction',
    ];
    const functionOfRole = new Map(functions.map((id) => [roleOf(id), id]));
    const operator = Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('SecretsKeyOperatorRole'),
    );
    if (operator) functionOfRole.set(operator, 'KeyOperator');
    /** Every function whose role may call `action` on `secret`. */
    const allowed = (action: string, secret: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((policy) =>
          (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
            .filter(
              (statement) =>
                [statement.Action].flat().includes(action) &&
                JSON.stringify(statement.Resource) === JSON.stringify({ Ref: secret }),
            )
            .flatMap(() =>
              policy.Properties.Roles.map((role: { Ref: string }) => functionOfRole.get(role.Ref) ?? role.Ref),
            ),
        )
        .sort();
    // And the key operator, for `npm run keys` (its role is no function's).
    expect(allowed('secretsmanager:GetSecretValue', privateKeys)).toEqual([
      'KeyOperator',
      'KeyRotationFunction',
      'KeySetupFunction',
      'LoginFunction',
      'PasskeySignInFunction',
      'PasswordFunction',
      'RefreshFunction',
    ]);
    expect(allowed('secretsmanager:GetSecretValue', publicKeys)).toEqual([
      'KeyOperator',
      'MeFunction',
      'PasskeysFunction',
      'SessionsFunction',
      'WellKnownFunction',
    ]);
    // Only key management writes either of them.
    const managers = ['KeyOperator', 'KeyRotationFunction', 'KeySetupFunction'];
    expect(allowed('secretsmanager:PutSecretValue', privateKeys)).toEqual(managers);
    expect(allowed('secretsmanager:PutSecretValue', publicKeys)).toEqual(managers);
    // And no function is told where the other secret is.
    const variables = (id: string) => findFunction(template, id).resource.Properties.Environment.Variables;
    for (const id of ['LoginFunction', 'RefreshFunction', 'PasswordFunction', 'PasskeySignInFunction']) {
      expect(variables(id).SIGNING_KEYS_SECRET_ARN).toEqual({ Ref: privateKeys });
      expect(variables(id)).not.toHaveProperty('PUBLIC_KEYS_SECRET_ARN');
    }
    for (const id of ['MeFunction', 'SessionsFunction', 'WellKnownFunction', 'PasskeysFunction']) {
      expect(variables(id).PUBLIC_KEYS_SECRET_ARN).toEqual({ Ref: publicKeys });
      expect(variables(id)).not.toHaveProperty('SIGNING_KEYS_SECRET_ARN');
    }
    expect(variables('KeyRotationFunction').PUBLIC_KEYS_SECRET_ARN).toEqual({ Ref: publicKeys });
  });

  it('lets the public-facing verifiers read users to the attribute: /me and refresh the profile, the session routes the session state, never the password hash', () => {
    const statementsOf = (id: string) => {
      const role = findFunction(template, id).resource.Properties.Role['Fn::GetAtt'][0];
      return Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    };
    const userReads = (id: string) =>
      statementsOf(id).filter(
        (statement) =>
          [statement.Action].flat().includes('dynamodb:GetItem') &&
          JSON.stringify(statement.Resource).includes('"Users'),
      );
    const expected = {
      MeFunction: PROFILE_ATTRIBUTES,
      RefreshFunction: PROFILE_ATTRIBUTES,
      SessionsFunction: SESSION_STATE_ATTRIBUTES,
    };
    for (const [id, attributes] of Object.entries(expected)) {
      const reads = userReads(id);
      expect(reads, id).toHaveLength(1);
      expect(reads[0]).toMatchObject({
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Users/), 'Arn'] },
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      });
      expect(Object.keys(reads[0]?.Condition as object).sort(), id).toEqual([
        'ForAllValues:StringEquals',
        'StringEqualsIfExists',
      ]);
      expect(attributes, id).not.toContain('passwordHash');
      // No other statement of theirs names the users table with a read (a Query, a BatchGetItem, a wildcard).
      for (const statement of statementsOf(id).filter((s) => JSON.stringify(s.Resource).includes('"Users'))) {
        expect(
          [statement.Action].flat().filter((action) => /Get|Query|Scan|\*/.test(String(action))),
          id,
        ).toEqual(statement === reads[0] ? ['dynamodb:GetItem'] : []);
      }
    }
    // The session routes need only the epoch: a narrower list than the profile.
    expect(SESSION_STATE_ATTRIBUTES.every((name) => (PROFILE_ATTRIBUTES as readonly string[]).includes(name))).toBe(
      true,
    );
    // Whole items only where the hash is compared or checked: login (from the index, and its
    // re-read), the password change, and the passkey sign-in (its session start checks the hash).
    const unconditioned = Object.keys(HTTP_FUNCTIONS)
      .map((name) => HTTP_FUNCTIONS[name as keyof typeof HTTP_FUNCTIONS].constructId)
      .filter((id) => userReads(id).some((statement) => statement.Condition === undefined))
      .sort();
    expect(unconditioned).toEqual(['LoginFunction', 'PasskeySignInFunction', 'PasswordFunction']);
  });

  it('lets /api/auth/me read users by id only, and the well-known function read only the keys', () => {
    const grantsOf = (id: string) => {
      const role = findFunction(template, id).resource.Properties.Role['Fn::GetAtt'][0];
      return Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .map(
          (statement) => `${statement.Effect === 'Deny' ? 'Deny ' : ''}${[statement.Action].flat().sort().join(' ')}`,
        )
        .sort();
    };
    expect(grantsOf('MeFunction')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:GetItem',
      'logs:CreateLogStream logs:PutLogEvents',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
    ]);
    // Refresh reads users and rotates sessions by id: no listing, no new sessions, no user writes.
    // Each function that writes sessions is denied the control item (test/infra/session-control.test.ts).
    expect(grantsOf('RefreshFunction')).toEqual([
      'Deny dynamodb:BatchWriteItem dynamodb:DeleteItem dynamodb:PutItem dynamodb:UpdateItem',
      'dynamodb:GetItem',
      'dynamodb:GetItem dynamodb:UpdateItem',
      'logs:CreateLogStream logs:PutLogEvents',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
    ]);
    // The session routes end sessions and list them (with their epochs); on users they may move sessionEpoch only.
    expect(grantsOf('SessionsFunction')).toEqual([
      'Deny dynamodb:BatchWriteItem dynamodb:DeleteItem dynamodb:PutItem dynamodb:UpdateItem',
      'dynamodb:BatchGetItem dynamodb:GetItem dynamodb:UpdateItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream logs:PutLogEvents',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
    ]);
    // The password change: a login's checks (the identifier's claim, the account cap's read and
    // count) and a new session; on users it may write the hash and the epoch only, on sessions read
    // the caller's, check it and put the new one: no listing, no ending.
    expect(grantsOf('PasswordFunction')).toEqual([
      'Deny dynamodb:BatchWriteItem dynamodb:DeleteItem dynamodb:PutItem dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem dynamodb:GetItem dynamodb:PutItem',
      'dynamodb:GetItem',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream logs:PutLogEvents',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
    ]);
    const passwordStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        policy.Properties.Roles.some(
          (r: { Ref: string }) =>
            r.Ref === findFunction(template, 'PasswordFunction').resource.Properties.Role['Fn::GetAtt'][0],
        ),
      )
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const userWrite = passwordStatements.find(
      (statement: { Action: unknown; Resource: unknown }) =>
        statement.Action === 'dynamodb:UpdateItem' && JSON.stringify(statement.Resource).includes('Users'),
    );
    expect(userWrite.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'passwordHash', 'sessionEpoch'] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
    });
    expect(grantsOf('WellKnownFunction')).toEqual([
      'logs:CreateLogStream logs:PutLogEvents',
      'secretsmanager:DescribeSecret secretsmanager:GetSecretValue',
    ]);
  });

  it('gives the passkey functions least privilege, down to the attribute: only sign-in signs, only management lists and writes passkeys', () => {
    /** Each statement of a function's role: its actions, the resource's logical id (or index) and its condition. */
    const statementsOf = (id: string) => {
      const role = findFunction(template, id).resource.Properties.Role['Fn::GetAtt'][0];
      return Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')))
        .map((statement) => {
          const resource = JSON.stringify(statement.Resource);
          const table = /"(Users|Sessions|Passkeys|PasskeyChallenges|LoginAttempts)Table/.exec(resource)?.[1];
          const index = /index\/([a-z-]+)/.exec(resource)?.[1];
          return {
            ...(statement.Effect === 'Deny' && { effect: 'Deny' }),
            actions: [statement.Action].flat().sort().join(' '),
            on: index ? `${table}/${index}` : table,
            ...(statement.Condition && { condition: statement.Condition }),
          };
        })
        .sort((a, b) => `${a.on} ${a.actions}`.localeCompare(`${b.on} ${b.actions}`));
    };
    const noReturn = { StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' } };
    expect(statementsOf('PasskeySignInFunction')).toEqual([
      { actions: 'dynamodb:DeleteItem dynamodb:PutItem', on: 'PasskeyChallenges', condition: noReturn },
      { actions: 'dynamodb:GetItem', on: 'Passkeys' },
      {
        actions: 'dynamodb:UpdateItem',
        on: 'Passkeys',
        condition: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'counter', 'backedUp', 'lastUsedAt'] },
          ...noReturn,
        },
      },
      {
        effect: 'Deny',
        actions: 'dynamodb:BatchWriteItem dynamodb:DeleteItem dynamodb:PutItem dynamodb:UpdateItem',
        on: 'Sessions',
        condition: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': ['#all-sessions'] } },
      },
      {
        actions: 'dynamodb:GetItem',
        on: 'Sessions',
        condition: {
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': ['#all-sessions'],
            'dynamodb:Attributes': ['id', 'epoch'],
          },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      },
      { actions: 'dynamodb:PutItem dynamodb:UpdateItem', on: 'Sessions' },
      { actions: 'dynamodb:Query', on: 'Sessions/user-index' },
      {
        actions: 'dynamodb:ConditionCheckItem',
        on: 'Users',
        condition: { StringEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' } },
      },
      { actions: 'dynamodb:GetItem', on: 'Users' },
    ]);
    expect(statementsOf('PasskeysFunction')).toEqual([
      { actions: 'dynamodb:DeleteItem dynamodb:PutItem', on: 'PasskeyChallenges', condition: noReturn },
      { actions: 'dynamodb:DeleteItem dynamodb:PutItem', on: 'Passkeys', condition: noReturn },
      // The per-user count: only its `count`, only on count items, only beside the Put or Delete it counts.
      {
        actions: 'dynamodb:UpdateItem',
        on: 'Passkeys',
        condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['~count#*'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'count'] },
          StringEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' },
          ...noReturn,
        },
      },
      { actions: 'dynamodb:Query', on: 'Passkeys/user-index' },
      { actions: 'dynamodb:GetItem', on: 'Sessions' },
      // The registering user as a profile: never the password hash.
      {
        actions: 'dynamodb:GetItem',
        on: 'Users',
        condition: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...PROFILE_ATTRIBUTES] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      },
    ]);
  });

  it('routes POST /api/auth/login to the function through a throttled REST API stage', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'login' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      ]),
    });
  });

  it('keeps the function logs for a month', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('outputs the URLs, the table names and the secret ARNs', () => {
    for (const output of [
      'ApiUrl',
      'LoginUrl',
      'Issuer',
      'JwksUrl',
      'TableName',
      'SigningKeysSecretArn',
      'PublicKeysSecretArn',
      'AttemptsTableName',
      'IdentifierKeySecretArn',
      'SessionsTableName',
      'RefreshKeySecretArn',
    ])
      template.hasOutput(output, {});
  });

  it('takes operator settings from CDK context', () => {
    const { template: custom } = operated();
    custom.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 5 })]),
    });
    const { resource } = findFunction(custom, 'LoginFunction');
    expect(resource.Properties.MemorySize).toBe(1024);
    expect(resource.Properties.Environment.Variables).toMatchObject({
      TOKEN_TTL_SECONDS: '600',
      DEVICE_MAX_FAILURES: '3',
      ACCOUNT_MAX_FAILURES: '50',
    });
  });

  it('answers with the envelope for every gateway response a client can hit', () => {
    const responses = template.findResources('AWS::ApiGateway::GatewayResponse');
    const byType = Object.fromEntries(Object.values(responses).map((r) => [r.Properties.ResponseType, r.Properties]));
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED', 'MISSING_AUTHENTICATION_TOKEN', 'WAF_FILTERED']) {
      const response = byType[type];
      expect(response, type).toBeDefined();
      expect(JSON.parse(response.ResponseTemplates['application/json'])).toEqual({
        ok: false,
        error: expect.any(String),
        code: expect.any(String),
      });
      // The functions' header map, in API Gateway's static syntax: quoted, inner quotes escaped.
      expect(response.ResponseParameters).toStrictEqual(
        Object.fromEntries(
          Object.entries(API_RESPONSE_HEADERS).map(([name, value]) => [
            `gatewayresponse.header.${name}`,
            `'${value.replaceAll("'", "\\'")}'`,
          ]),
        ),
      );
    }
    expect(byType.THROTTLED.ResponseParameters['gatewayresponse.header.X-Frame-Options']).toBe("'DENY'");
    expect(byType.THROTTLED.StatusCode).toBe('429');
    expect(byType.MISSING_AUTHENTICATION_TOKEN.StatusCode).toBe('404');
    // The same codes as the functions and npm start: a client tells a gateway 429 from a locked identifier.
    const codeOf = (type: string) => JSON.parse(byType[type].ResponseTemplates['application/json']).code;
    expect(codeOf('THROTTLED')).toBe('rate_limited');
    expect(codeOf('MISSING_AUTHENTICATION_TOKEN')).toBe('not_found');
    expect(codeOf('WAF_FILTERED')).toBe('forbidden');
    expect(codeOf('DEFAULT_5XX')).toBe('service_unavailable');
  });

  it('throttles the login method as well as the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1api~1auth~1login', ThrottlingRateLimit: 50 }),
      ]),
    });
  });

  it('alarms on the first failed secret refresh in 5 minutes, beside the login alarm', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: SECRET_REFRESH_FAILED_METRIC },
    });
    expect(Object.keys(alarms)).toHaveLength(1);
    const [[logicalId, alarm]] = Object.entries(alarms) as [[string, { Properties: Record<string, unknown> }]];
    expect(logicalId).toMatch(/^LoginAlarmsSecretRefreshFailed/);
    expect(alarm.Properties).toMatchObject({
      Namespace: 'MovieKnightAuth',
      Dimensions: [{ Name: 'service', Value: 'movie-knight-auth' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on a spike of failed logins', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'MovieKnightAuth',
      MetricName: 'LoginFailed',
      Dimensions: [{ Name: 'service', Value: 'movie-knight-auth' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 100,
    });
  });

  it('has no CORS unless asked', () => {
    expect(
      Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties.HttpMethod),
    ).not.toContain('OPTIONS');
  });

  it('limits each source on every route by default: one per-IP rate rule over the whole stage, no path to match', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
    expect(acl?.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    // Exactly one rule, counting every request by source address: no scope-down statement, so
    // refresh, the session routes and any route added later count as login does.
    expect(acl?.Properties.Rules).toStrictEqual([
      {
        Name: 'RatePerIp',
        Priority: 0,
        Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'RateLimited' } } },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: 'RatePerIp' },
        Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 300, EvaluationWindowSec: 300 } },
      },
    ]);
    expect(JSON.parse(acl?.Properties.CustomResponseBodies.RateLimited.Content)).toEqual({
      ok: false,
      error: 'Too many requests, slow down',
      code: 'rate_limited',
    });
    // On the stage itself: every method of every resource passes through it.
    const [association] = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
    const [stageId] = Object.keys(template.findResources('AWS::ApiGateway::Stage'));
    expect(JSON.stringify(association?.Properties.ResourceArn)).toContain(`"Ref":"${stageId}"`);
    expect(JSON.stringify(association?.Properties.ResourceArn)).toContain('/stages/');
  });

  it('keeps the construct ids of the login-only firewall, so a deployed web ACL is updated in place', () => {
    const ids = (type: string) =>
      Object.entries(template.findResources(type)).map(([logicalId, resource]) => [
        logicalId,
        resource.Metadata?.['aws:cdk:path'],
      ]);
    expect(ids('AWS::WAFv2::WebACL')).toEqual([
      [expect.stringMatching(/^LoginFirewallWebAcl[0-9A-F]{8}$/), 'MovieKnightAuth/LoginFirewall/WebAcl'],
    ]);
    expect(ids('AWS::WAFv2::WebACLAssociation')).toEqual([
      [expect.stringMatching(/^LoginFirewallAssociation[0-9A-F]{8}$/), 'MovieKnightAuth/LoginFirewall/Association'],
    ]);
  });

  it('takes the rate from wafRateLimit, and drops the firewall only when turned off on purpose, saying so', () => {
    operated().template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 100 }) } })],
    });
    expect(() => synthesize({ wafRateLimit: 5 })).toThrow(
      'Context value wafRateLimit=5 must be an integer from 10 to 2000000000',
    );
    const { template: off, stack } = withoutWaf();
    off.resourceCountIs('AWS::WAFv2::WebACL', 0);
    off.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('wafEnabled=false'))).toHaveLength(1);
    expect(() => synthesize({ wafEnabled: 'no' })).toThrow('Context value wafEnabled=no must be true or false');
  });

  it("answers CORS preflights for the configured origins only, never with credentials, and CORS on the gateway's errors", () => {
    const { template: withCors } = withCorsSynthesized();
    withCors.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Origin': "'https://app.example.com'",
            }),
          }),
        ],
      }),
    });
    // Every path's preflight (construct id OPTIONS, as addCorsPreflight named it: the deployed
    // methods stay) answers 204 with the security headers every other answer carries.
    const preflights = Object.values(withCors.findResources('AWS::ApiGateway::Method')).filter(
      (method) => method.Properties.HttpMethod === 'OPTIONS',
    );
    expect(preflights).toHaveLength(new Set(HTTP_ROUTES.map((route) => route.path)).size);
    for (const { Properties, Metadata } of preflights) {
      expect(Metadata['aws:cdk:path']).toMatch(/\/OPTIONS\/Resource$/);
      const [answer] = Properties.Integration.IntegrationResponses;
      expect(answer.StatusCode).toBe('204');
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        expect(answer.ResponseParameters[`method.response.header.${name}`]).toBe(`'${value.replaceAll("'", "\\'")}'`);
        expect(Properties.MethodResponses[0].ResponseParameters[`method.response.header.${name}`]).toBe(true);
      }
    }
    const { resource } = findFunction(withCors, 'LoginFunction');
    expect(resource.Properties.Environment.Variables.CORS_ALLOWED_ORIGINS).toBe('https://app.example.com');
    expect(JSON.stringify(withCors.toJSON())).not.toContain('Access-Control-Allow-Credentials');
    expect(() => synthesize({ corsAllowedOrigins: '*' })).toThrow(
      'Context value corsAllowedOrigins=* must be a comma-separated list of origins like https://app.example.com (no path, no *)',
    );
    // The one allowed origin may read the gateway's own errors (429, 403, 413) too.
    const responses = Object.values(withCors.findResources('AWS::ApiGateway::GatewayResponse'));
    expect(responses.length).toBeGreaterThan(10);
    for (const { Properties } of responses) {
      expect(Properties.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
        'gatewayresponse.header.Access-Control-Expose-Headers': "'Retry-After,WWW-Authenticate'",
        'gatewayresponse.header.Vary': "'Origin'",
      });
    }
  }, 90_000);

  it('gives gateway errors no CORS origin when several are allowed, and says so at synth', () => {
    const { template: several, stack } = synthesize({
      corsAllowedOrigins: 'https://app.example.com,https://www.example.com',
    });
    expect(JSON.stringify(several.findResources('AWS::ApiGateway::GatewayResponse'))).not.toContain(
      'Access-Control-Allow-Origin',
    );
    // A preflight names the first origin, and the others when the request comes from one of them.
    several.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Origin': "'https://app.example.com'",
            }),
            ResponseTemplates: {
              'application/json': Match.stringLikeRegexp(
                '\\$origin == "https://www.example.com"\\)\n  #set\\(\\$context.responseOverride.header.Access-Control-Allow-Origin = \\$origin\\)',
              ),
            },
          }),
        ],
      }),
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Several CORS origins'))).toHaveLength(
      1,
    );
  }, 90_000);

  it.each([
    ['the defaults', () => outdir, []],
    ['CORS on', () => withCorsSynthesized().outdir, []],
    // Turning the WAF off is allowed, and synth says so: that warning is the report's one entry.
    ['WAF turned off', () => withoutWaf().outdir, ['Annotation::movie-knight:waf-off']],
  ])('passes cdk-nag AwsSolutions with %s, every exception acknowledged with a reason', (_, assembly, warnings) => {
    const report = JSON.parse(readFileSync(join(assembly(), 'validation-report.json'), 'utf8'));
    const annotations = report.pluginReports.filter(
      (plugin: { pluginName: string }) => plugin.pluginName === 'Construct Annotations',
    );
    expect(report.pluginReports.filter((plugin: unknown) => !annotations.includes(plugin))).toEqual([]);
    expect(
      annotations.flatMap((plugin: { violations: { ruleName: string }[] }) => plugin.violations.map((v) => v.ruleName)),
    ).toEqual(warnings);
  });

  it('fails synthesis on a cdk-nag finding nobody acknowledged', () => {
    expect(() => synthesize({}, (stack) => new Secret(stack, 'Unrotated'))).toThrow(/AwsSolutions-SMG4/);
  });

  it('tags every resource with the service name', () => {
    const tagged = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))
      .concat(Object.values(template.findResources('AWS::Lambda::Function')))
      .concat(Object.values(template.findResources('AWS::SecretsManager::Secret')));
    for (const resource of tagged) {
      const tags = resource.Properties.Tags ?? resource.Properties.Replicas?.[0]?.Tags;
      expect(tags).toContainEqual({ Key: 'service', Value: 'movie-knight-auth' });
    }
  });

  it('refuses a setting out of range', () => {
    expect(() => synthesize({ bcryptCost: 4 })).toThrow('Context value bcryptCost=4 must be an integer from 10 to 15');
  });
});
