import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { jsonLoginEvent } from '#test/support/events.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { testKeySet } from '#test/support/keys.ts';
import { functionCode, invokeBundle, lambdaEnvironment } from '#test/support/lambda-process.ts';
import { synthesize } from '#test/support/synth.ts';
import { verifyWithTestKeys } from '#test/support/verify.ts';

const SIGNING_KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const IDENTIFIER_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key';

describe('the bundle CDK produced', () => {
  let table: TestTables;
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
  let code: ReturnType<typeof functionCode>;

  /** Runs the bundle with the function's environment from the template, as Lambda sets it. */
  const runInLambdaLikeProcess = (events: unknown[]) =>
    invokeBundle(
      code,
      {
        ...(code.environment as Record<string, string>),
        // The template's references, resolved as CloudFormation would to this run's resources.
        TABLE_NAME: table.tableName,
        ATTEMPTS_TABLE_NAME: table.attemptsTableName,
        SIGNING_KEYS_SECRET_ARN: SIGNING_KEYS_ARN,
        IDENTIFIER_KEY_SECRET_ARN: IDENTIFIER_KEY_ARN,
        ...lambdaEnvironment('LoginFunction', { dynamoDb: table.endpoint, secretsManager: secrets.endpoint }),
      },
      events,
    );

  beforeAll(async () => {
    table = await createTestTables();
    await table.createUser({
      id: 'bundle-user',
      email: 'fan@example.com',
      username: 'fan',
      name: 'Fan',
      password: 'secret123',
    });
    secrets = await startFakeSecretsManager({
      [SIGNING_KEYS_ARN]: JSON.stringify(await testKeySet()),
      [IDENTIFIER_KEY_ARN]: 'bundle-test-identifier-key-0123456789abcdef',
    });
    const { template, outdir } = synthesize();
    code = functionCode(template, outdir, 'LoginFunction');
  });

  afterAll(async () => {
    secrets.close();
    await table.drop();
  });

  it('logs in, cold then warm, reading each secret from Secrets Manager once', async () => {
    secrets.state.calls = 0;
    const login = jsonLoginEvent({ emailOrUsername: 'FAN@example.com', password: 'secret123' });
    const { results } = await runInLambdaLikeProcess([login, login]);
    for (const { response } of results) {
      expect(response.statusCode).toBe(200);
      const { data } = JSON.parse(response.body);
      const { payload } = await verifyWithTestKeys(data.token);
      expect(payload.sub).toBe('bundle-user');
    }
    expect(secrets.state.calls).toBe(2);
  });

  it('answers the same 401 for a wrong password and an unknown user', async () => {
    const { results } = await runInLambdaLikeProcess([
      jsonLoginEvent({ emailOrUsername: 'fan', password: 'wrong' }),
      jsonLoginEvent({ emailOrUsername: 'ghost', password: 'wrong' }),
    ]);
    expect(results[0]?.response.statusCode).toBe(401);
    expect(results[1]?.response).toStrictEqual(results[0]?.response);
  });

  it('reads both secrets during init, before any event, once', async () => {
    secrets.state.calls = 0;
    const { results } = await runInLambdaLikeProcess([]);
    expect(results).toStrictEqual([]);
    expect(secrets.state.calls).toBe(2);
  });

  it('starts even when Secrets Manager is down at init, answers 503, and reads again later', async () => {
    // Both reads started at init fail, three attempts each (the SDK's retries). The first request
    // shares them instead of reading again, so it fails too; the second may still share the one
    // that ends last; the third reads both secrets afresh. Never a read more than those.
    secrets.state.calls = 0;
    secrets.state.failFirst = 2 * 3;
    const login = jsonLoginEvent({ emailOrUsername: 'fan', password: 'secret123' });
    const { results } = await runInLambdaLikeProcess([login, login, login]);
    expect(results[0]?.response).toMatchObject({
      statusCode: 503,
      body: '{"ok":false,"error":"Service temporarily unavailable, please retry"}',
    });
    expect(results[2]?.response.statusCode).toBe(200);
    expect(secrets.state.calls).toBe(2 * 3 + 2);
  });

  it('refuses to start in AWS with a local-only setting', async () => {
    const env = {
      ...(code.environment as Record<string, string>),
      TABLE_NAME: table.tableName,
      ATTEMPTS_TABLE_NAME: table.attemptsTableName,
      SIGNING_KEYS_SECRET_ARN: SIGNING_KEYS_ARN,
      IDENTIFIER_KEY_SECRET_ARN: IDENTIFIER_KEY_ARN,
      AWS_LAMBDA_FUNCTION_NAME: 'LoginFunction',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    };
    await expect(invokeBundle(code, env, [])).rejects.toThrow(
      'DYNAMODB_ENDPOINT is for local runs only and must be empty in AWS Lambda',
    );
  });
});
